// The run folder of a training run: <project>/<name> with the reference's increment rule
// (exp, exp2, exp3, ... first free; exist_ok reuses the name) and its weights/ subfolder.
// Defaults follow the issue: project "runs/train", name "exp".
//   RunDir run = create_run_dir(args.project, args.name, args.exist_ok);
//   write_file_atomic(run.file("args.yaml"), to_yaml(args, run.root.string()));
#pragma once
#include <filesystem>
#include <string>

namespace ye::yolo {

inline constexpr const char* kDefaultProject = "runs/train";
inline constexpr const char* kDefaultRunName = "exp";

// increment_path: `path` if it does not exist (or exist_ok), else the first free path + "2",
// "3", ... up to 9999 (a file keeps its extension: results.txt -> results2.txt).
std::filesystem::path increment_path(const std::filesystem::path& path, bool exist_ok, const std::string& sep = "");

struct RunDir {
  std::filesystem::path root;     // runs/train/exp2
  std::filesystem::path weights;  // runs/train/exp2/weights
  std::filesystem::path file(const std::string& name) const { return root / name; }
  std::filesystem::path last() const { return weights / "last.pt"; }
  std::filesystem::path best() const { return weights / "best.pt"; }
  std::filesystem::path epoch_checkpoint(long epoch) const;  // weights/epoch{N}.pt
};

// Resolves (empty project/name take the defaults), increments and creates the folder and
// weights/. Throws ye::Error naming the path if it cannot be created.
RunDir create_run_dir(const std::string& project, const std::string& name, bool exist_ok);

}  // namespace ye::yolo
