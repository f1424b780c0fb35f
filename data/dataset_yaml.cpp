// Dataset YAML loading and split file listing (see dataset_yaml.h), following the reference's
// check_det_dataset / get_img_files / img2label_paths rules.
#include "data/dataset_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "kernels/error.h"

namespace fs = std::filesystem;

namespace ye::data {
namespace {

constexpr int kMaxClasses = 100000;  // a class count past this is a corrupt file, not a dataset

const char* kImageExtensions[] = {"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"};

std::vector<std::string> as_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsSequence())
    for (const auto& e : n) out.push_back(e.as<std::string>());
  else if (n.IsScalar())
    out.push_back(n.as<std::string>());
  return out;
}

void add_from_txt(const fs::path& txt, std::vector<std::string>& out) {
  std::ifstream f(txt);
  YE_CHECK(f, txt.string(), ": cannot read image list");
  std::string parent = txt.parent_path().string() + "/";
  std::string line;
  while (std::getline(f, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t s = line.find_first_not_of(" \t");
    if (s == std::string::npos) continue;
    line = line.substr(s);
    if (line.rfind("./", 0) == 0)
      line = parent + line.substr(2);
    else if (fs::path(line).is_relative() && !fs::exists(line))
      line = parent + line;
    out.push_back(line);
  }
}

}  // namespace

bool has_image_extension(const std::string& path) {
  auto dot = path.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return std::any_of(std::begin(kImageExtensions), std::end(kImageExtensions), [&](const char* e) { return ext == e; });
}

namespace {
// The YAML's fields into `cfg`; yaml-cpp conversion errors escape as YAML::Exception (caught below).
void read_dataset_fields(YAML::Node y, const std::string& yaml_file, DatasetConfig& cfg) {
  YE_CHECK(y.IsMap(), yaml_file, ": the dataset YAML must be a mapping with path/train/val/names");
  cfg.yaml_file = yaml_file;
  fs::path yaml_dir = fs::absolute(yaml_file).parent_path();
  fs::path root = yaml_dir;
  if (y["path"] && !y["path"].IsNull()) {
    YE_CHECK(y["path"].IsScalar(), yaml_file, ": 'path' must be a folder name (line ", y["path"].Mark().line + 1, ")");
    fs::path p = y["path"].as<std::string>();
    root = p.is_absolute() ? p : yaml_dir / p;
  }
  cfg.root = fs::weakly_canonical(root).string();
  if (!y["val"] && y["validation"]) y["val"] = y["validation"];
  YE_CHECK(y["train"] && y["val"], yaml_file, ": 'train' and 'val' keys are required");
  for (const char* split : {"train", "val", "test"}) {
    if (!y[split] || y[split].IsNull()) continue;
    YE_CHECK(y[split].IsScalar() || y[split].IsSequence(), yaml_file, ": '", split,
             "' must be a path or a list of paths (line ", y[split].Mark().line + 1, ")");
    std::vector<std::string> entries;
    for (const auto& e : as_list(y[split])) {
      fs::path p = e;
      entries.push_back((p.is_absolute() ? p : fs::path(cfg.root) / p).lexically_normal().string());
    }
    cfg.splits[split] = entries;
  }
  const YAML::Node names = y["names"];
  if (names && names.IsSequence()) {
    for (const auto& n : names) cfg.names.push_back(n.as<std::string>());
  } else if (names && names.IsMap()) {
    std::map<int, std::string> by_id;
    for (const auto& kv : names) by_id[kv.first.as<int>()] = kv.second.as<std::string>();
    int i = 0;
    for (auto& [id, name] : by_id) {
      YE_CHECK(id == i, yaml_file, ": names must use ids 0..", by_id.size() - 1, " (id ", i, " missing)");
      cfg.names.push_back(name), ++i;
    }
  }
  if (y["nc"] && !y["nc"].IsNull()) {
    int nc = y["nc"].as<int>();
    YE_CHECK(nc > 0 && nc <= kMaxClasses, yaml_file, ": nc ", nc, " is out of range [1, ", kMaxClasses, "]");
    if (cfg.names.empty())
      for (int i = 0; i < nc; ++i) cfg.names.push_back("class" + std::to_string(i));
    YE_CHECK(nc == cfg.nc(), yaml_file, ": nc is ", nc, " but names has ", cfg.nc(), " entries");
  }
  YE_CHECK(cfg.nc() > 0, yaml_file, ": no classes ('names' or 'nc' missing)");
  YE_CHECK(cfg.nc() <= kMaxClasses, yaml_file, ": ", cfg.nc(), " classes is more than ", kMaxClasses);
}
}  // namespace

DatasetConfig load_dataset_yaml(const std::string& yaml_file) {
  YE_CHECK(fs::exists(yaml_file), yaml_file, ": dataset YAML not found");
  DatasetConfig cfg;
  try {
    read_dataset_fields(YAML::LoadFile(yaml_file), yaml_file, cfg);
  } catch (const YAML::Exception& e) {
    const std::string where = e.mark.is_null() ? "" : " at line " + std::to_string(e.mark.line + 1);
    YE_FAIL(yaml_file, ": malformed dataset YAML", where, " (", e.msg, ")");
  }
  return cfg;
}

std::vector<std::string> list_split_images(const DatasetConfig& cfg, const std::string& split) {
  auto it = cfg.splits.find(split);
  YE_CHECK(it != cfg.splits.end(), cfg.yaml_file, ": no '", split, "' split");
  std::vector<std::string> files;
  for (const auto& entry : it->second) {
    fs::path p = entry;
    if (fs::is_directory(p)) {
      for (const auto& f : fs::recursive_directory_iterator(p, fs::directory_options::follow_directory_symlink))
        if (f.is_regular_file()) files.push_back(f.path().string());
    } else if (fs::is_regular_file(p) && p.extension() == ".txt") {
      add_from_txt(p, files);
    } else if (fs::is_regular_file(p)) {
      files.push_back(p.string());
    } else {
      YE_FAIL(cfg.yaml_file, ": ", split, " path does not exist: ", entry);
    }
  }
  files.erase(std::remove_if(files.begin(), files.end(), [](const std::string& f) { return !has_image_extension(f); }),
              files.end());
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

std::string label_path_for(const std::string& image_path) {
  std::string p = image_path;
  auto k = p.rfind("/images/");
  if (k != std::string::npos) p.replace(k, 8, "/labels/");
  auto slash = p.rfind('/');
  auto dot = p.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) p.resize(dot);
  return p + ".txt";
}

}  // namespace ye::data
