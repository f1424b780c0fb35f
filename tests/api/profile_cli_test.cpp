// `yolo profile` end to end on the CPU (the real binary of the build folder): a small yolov8n step
// writes the per-layer table and a CSV with one row per layer; bad sizes stop with a message.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {
int run(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("yolo profile on the CPU: table on stdout, CSV next to it") {
  fs::path dir = fs::temp_directory_path() / ("ye_profile_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path yolo = fs::absolute("yolo");
  std::string cmd = yolo.string() + " profile --model yolov8n --batch 1 --imgsz 64 --device cpu --warmup 0" +
                    " --iterations 1 --amp --csv " + (dir / "p.csv").string() + " > " + (dir / "out.txt").string() +
                    " 2> " + (dir / "err.txt").string();
  REQUIRE(run(cmd) == 0);
  std::string out = read(dir / "out.txt"), csv = read(dir / "p.csv");
  CHECK(out.find("yolov8n  batch 1  imgsz 64  f32  cpu") != std::string::npos);
  CHECK(out.find("model.9 SPPF") != std::string::npos);
  CHECK(out.find("phases: forward") != std::string::npos);
  CHECK(read(dir / "err.txt").find("--amp needs a CUDA device") != std::string::npos);
  int rows = 0;
  for (char c : csv) rows += c == '\n';
  CHECK(rows == 24);  // header + 23 layers
  CHECK(csv.find("\n22,model.22 Detect,") != std::string::npos);

  CHECK(run(yolo.string() + " profile --model yolov8n --imgsz 65 --device cpu 2> " + (dir / "bad.txt").string()) != 0);
  CHECK(read(dir / "bad.txt").find("multiple of 32") != std::string::npos);
  fs::remove_all(dir);
}
