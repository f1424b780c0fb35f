// The Ultralytics dataset YAML: root `path` (relative to the YAML's folder), train/val/test entries
// (folder searched recursively, .txt list of image paths, or a list of these), class names (list or
// id->name map) and nc. Defines DatasetConfig, load_dataset_yaml, list_split_images, label_path_for.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace ye::data {

struct DatasetConfig {
  std::string yaml_file;
  std::string root;                                        // resolved `path`
  std::map<std::string, std::vector<std::string>> splits;  // "train"/"val"/"test" -> resolved entries
  std::vector<std::string> names;                          // index = class id
  int nc() const { return int(names.size()); }
};

// Throws ye::Error naming the file and the key when the YAML is missing, malformed or inconsistent.
DatasetConfig load_dataset_yaml(const std::string& yaml_file);

// Image files of a split, sorted, filtered by image extension. Throws when the split is not in the
// YAML or an entry does not exist.
std::vector<std::string> list_split_images(const DatasetConfig& cfg, const std::string& split);

// Replaces the last "/images/" with "/labels/" and the extension with ".txt".
std::string label_path_for(const std::string& image_path);

bool has_image_extension(const std::string& path);

}  // namespace ye::data
