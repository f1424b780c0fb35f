// Shared helpers of the modelspec tests: repository paths, the model goldens (JSON) and scratch
// files in a per-test temporary folder.
#pragma once
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace ye::test {

inline std::string source_path(const std::string& rel) { return std::string(YE_SOURCE_DIR) + "/" + rel; }
inline std::string config_dir() { return source_path("configs"); }
inline std::string models_golden(const std::string& file) { return source_path("tests/parity/goldens/models/" + file); }

inline nlohmann::json load_json(const std::string& path) {
  std::ifstream f(path);
  REQUIRE_MESSAGE(f.good(), "missing golden " << path);
  return nlohmann::json::parse(f);
}

// A fresh temporary folder removed when the object goes away.
struct ScratchDir {
  std::filesystem::path dir;
  ScratchDir() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("ye_modelspec_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = (dir / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

}  // namespace ye::test
