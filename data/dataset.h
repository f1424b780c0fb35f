// A dataset split: image paths, original sizes and checked labels, built from an Ultralytics dataset
// YAML. Scanning reads every image header and label file once, in parallel, reports each problem once
// per file, and stores the result in a label cache next to the labels so the next start does not
// rescan. Defines ImageRecord, SplitSummary, DatasetOptions and Dataset.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/dataset_yaml.h"
#include "data/labels.h"

namespace ye::data {

using LogFn = std::function<void(const std::string&)>;
LogFn stderr_log();  // writes each message as a line on stderr

struct ImageRecord {
  std::string image_path;
  int h0 = 0, w0 = 0;      // original size as displayed (EXIF orientation applied)
  std::vector<Box> boxes;  // normalised to the original image; empty = background
};

struct SplitSummary {
  std::string split;
  int64_t images = 0;       // usable images
  int64_t backgrounds = 0;  // usable images without boxes (missing or empty label file)
  int64_t missing_labels = 0;
  int64_t corrupt = 0;      // images skipped
  int64_t lines_dropped = 0;
  int64_t boxes = 0;
  bool from_cache = false;
  // "train: 128 images, 2 backgrounds, 1 corrupt (skipped), 3 label lines dropped"
  std::string line() const;
};

struct DatasetOptions {
  double fraction = 1.0;    // use the first round(n * fraction) sorted images (the reference's --fraction)
  bool label_cache = true;  // read/write <labels dir>.yecache
  int threads = 0;          // scanning threads; 0 = hardware concurrency
  LogFn log = stderr_log();
};

class Dataset {
 public:
  // Throws ye::Error when the split has no usable image (with the reason) or the YAML is wrong.
  static Dataset load(const DatasetConfig& cfg, const std::string& split, const DatasetOptions& opt = {});
  // Same, from already listed image files (tests, tools); `prefix` names the split in messages.
  static Dataset from_files(std::vector<std::string> image_files, int nc, const std::string& prefix,
                            const DatasetOptions& opt = {});

  size_t size() const { return records_.size(); }
  const ImageRecord& operator[](size_t i) const { return records_[i]; }
  const std::vector<ImageRecord>& records() const { return records_; }
  const SplitSummary& summary() const { return summary_; }
  const std::vector<std::string>& messages() const { return messages_; }  // every problem, one per file
  const std::vector<std::string>& names() const { return names_; }
  int nc() const { return nc_; }
  std::vector<int64_t> class_counts() const;  // boxes per class id, size nc

 private:
  std::vector<ImageRecord> records_;
  std::vector<std::string> messages_;
  std::vector<std::string> names_;
  SplitSummary summary_;
  int nc_ = 0;
  friend struct DatasetScan;
};

}  // namespace ye::data
