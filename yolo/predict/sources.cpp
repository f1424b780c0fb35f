// Source listing of the predictor (see sources.h).
#include "yolo/predict/sources.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "kernels/error.h"

namespace fs = std::filesystem;

namespace ye::yolo {
namespace {

void add_folder(const fs::path& dir, std::vector<std::string>& out) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() || e.is_symlink()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  out.insert(out.end(), files.begin(), files.end());
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

}  // namespace

bool is_image_suffix(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  if (ext.empty()) return false;
  ext = ext.substr(1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  static const char* kSuffixes[] = {"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"};
  for (const char* s : kSuffixes)
    if (ext == s) return true;
  return false;
}

std::vector<std::string> list_image_sources(const std::string& source,
                                            const std::function<void(const std::string&)>& log) {
  const fs::path src(source);
  YE_CHECK(fs::exists(src), "--source ", source, " does not exist");
  std::vector<std::string> files;
  if (fs::is_directory(src)) {
    add_folder(src, files);
  } else if (src.extension() == ".txt") {
    std::ifstream in(src);
    YE_CHECK(in.good(), "--source ", source, ": cannot read the list");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
      if (!trim(line).empty()) lines.push_back(trim(line));
    std::sort(lines.begin(), lines.end());
    for (const auto& p : lines) {
      fs::path a(p);
      if (!fs::exists(a) && a.is_relative() && fs::exists(src.parent_path() / a)) a = src.parent_path() / a;
      if (fs::is_directory(a)) add_folder(a, files);
      else if (fs::exists(a)) files.push_back(a.string());
      else if (log) log("WARNING " + p + " (listed in " + source + ") does not exist, skipped");
    }
  } else {
    files.push_back(src.string());
  }
  std::vector<std::string> images;
  for (auto& f : files)
    if (is_image_suffix(f)) images.push_back(std::move(f));
  YE_CHECK(!images.empty(), "--source ", source, ": no images found (image suffixes: bmp, dng, jpeg, jpg, mpo, ",
           "png, tif, tiff, webp, pfm, heic)");
  return images;
}

}  // namespace ye::yolo
