// Helpers of the robustness suite: a scratch folder per test, file writers, a run of the real `yolo`
// binary that returns its exit status and output, and the checks every bad-input case shares (a
// message, no signal, no sanitizer report).
#pragma once
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/harness.h"
#include "train/child_process.h"

namespace ye::robust {

inline std::filesystem::path scratch(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("ye_robust_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct CliResult {
  int code = 0;        // exit status, or -signal
  std::string output;  // stdout and stderr
};

// Runs `yolo args...` in `cwd` and waits up to `limit` (killed after it: code -9).
inline CliResult run_yolo(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                          std::chrono::seconds limit = std::chrono::seconds(120)) {
  auto tick = std::chrono::steady_clock::now().time_since_epoch().count();
  auto log = cwd / ("yolo_" + std::to_string(tick) + ".log");
  std::filesystem::remove(log);
  test::ChildProcess p(test::yolo_binary(), args, cwd, log);
  p.wait(limit);
  return {p.exit_code(), p.log_text()};
}

// What every rejected input must show: a clean non-zero exit (no signal, no sanitizer report) and an
// "error:" line that contains `names` (the file, line or argument).
inline void check_clean_error(const CliResult& r, const std::string& names) {
  INFO(r.output);
  CHECK(r.code > 0);
  CHECK(r.code < 128);
  CHECK(contains(r.output, "error: "));
  CHECK(contains(r.output, names));
  CHECK_FALSE(contains(r.output, "Sanitizer"));
  CHECK_FALSE(contains(r.output, "runtime error:"));
}

}  // namespace ye::robust
