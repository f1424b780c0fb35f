// Helpers of the data tests: a temporary folder removed at the end, text files, solid-colour images
// with rectangles, and a log sink that records messages.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/image_write.h"

namespace ye::data::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("ye_test_data_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path, std::filesystem::perms::all, ec);
    for (auto& e : std::filesystem::recursive_directory_iterator(path, ec))
      std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& rel) const { return (path / rel).string(); }
};

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

inline void save_png(const Image& img, const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  write_png(img, path);
}

inline void save_jpeg(const Image& img, const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  write_jpeg(img, path, 92);
}

inline void fill_rect(Image& img, int x1, int y1, int x2, int y2, uint8_t r, uint8_t g, uint8_t b) {
  for (int y = y1; y < y2; ++y)
    for (int x = x1; x < x2; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = r, p[1] = g, p[2] = b;
    }
}

struct LogSink {
  std::vector<std::string> lines;
  LogFn fn() {
    return [this](const std::string& m) { lines.push_back(m); };
  }
  int count(const std::string& needle) const {
    int n = 0;
    for (auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

}  // namespace ye::data::test
