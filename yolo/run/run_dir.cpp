// Run folder creation with the reference's increment rule; see run_dir.h.
#include "yolo/run/run_dir.h"

#include "kernels/error.h"

namespace ye::yolo {

std::filesystem::path increment_path(const std::filesystem::path& path, bool exist_ok, const std::string& sep) {
  namespace fs = std::filesystem;
  if (!fs::exists(path) || exist_ok) return path;
  fs::path stem = path, suffix;
  if (fs::is_regular_file(path)) {
    suffix = path.extension();
    stem = path;
    stem.replace_extension();
  }
  for (int n = 2; n < 9999; ++n) {
    fs::path p = stem.string() + sep + std::to_string(n) + suffix.string();
    if (!fs::exists(p)) return p;
  }
  throw Error("no free run folder name left for " + path.string());
}

std::filesystem::path RunDir::epoch_checkpoint(long epoch) const {
  return weights / ("epoch" + std::to_string(epoch) + ".pt");
}

RunDir create_run_dir(const std::string& project, const std::string& name, bool exist_ok) {
  namespace fs = std::filesystem;
  fs::path base = fs::path(project.empty() ? kDefaultProject : project) / (name.empty() ? kDefaultRunName : name);
  RunDir run;
  run.root = increment_path(base, exist_ok);
  run.weights = run.root / "weights";
  std::error_code ec;
  fs::create_directories(run.weights, ec);
  if (ec) throw Error("cannot create run folder " + run.weights.string() + ": " + ec.message());
  return run;
}

}  // namespace ye::yolo
