// Helpers shared by the run-output tests: an empty scratch folder per test name and process.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

namespace ye::test {

inline std::filesystem::path fresh_dir(const std::string& name) {
  std::filesystem::path d =
      std::filesystem::temp_directory_path() / ("ye_test_run_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace ye::test
