// COCO JSON records for predictions and ground truth (see coco_json.h).
#include "yolo/metrics/coco_json.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kernels/error.h"

namespace ye::yolo {

const std::vector<int>& coco80_to_coco91() {
  static const std::vector<int> ids = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17,
                                       18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36,
                                       37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53,
                                       54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73,
                                       74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
  return ids;
}

bool is_coco_val_path(const std::string& v) {
  auto ends = [&](const std::string& s) { return v.size() >= s.size() && v.compare(v.size() - s.size(), s.size(), s) == 0; };
  return v.find("coco") != std::string::npos && (ends("/val2017.txt") || ends("/test-dev2017.txt"));
}

std::vector<int> category_ids(int nc, bool is_coco) {
  if (is_coco) return coco80_to_coco91();
  std::vector<int> ids(size_t(std::max(nc, 0)));
  for (int i = 0; i < nc; ++i) ids[size_t(i)] = i + 1;
  return ids;
}

nlohmann::json coco_image_id(const std::string& filename) {
  const std::string stem = std::filesystem::path(filename).stem().string();
  bool digits = !stem.empty() && stem.size() <= 18;
  for (char ch : stem) digits = digits && ch >= '0' && ch <= '9';
  if (digits) return nlohmann::json(std::stoll(stem));
  return nlohmann::json(stem);
}

double python_round(double x, int ndigits) {
  YE_CHECK(ndigits >= 0 && ndigits <= 17, "python_round: ndigits must be in [0, 17]");
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", ndigits, x);  // glibc: exact decimal expansion, ties to even
  return std::strtod(buf, nullptr);
}

void append_coco_predictions(nlohmann::json& records, const nlohmann::json& image_id, std::span<const float> boxes,
                             std::span<const float> conf, std::span<const int32_t> cls,
                             const std::vector<int>& category_id) {
  const size_t n = conf.size();
  YE_CHECK(boxes.size() == n * 4 && cls.size() == n, "append_coco_predictions: arrays disagree");
  for (size_t i = 0; i < n; ++i) {
    const float* b = &boxes[i * 4];
    const float cx = (b[0] + b[2]) / 2.f, cy = (b[1] + b[3]) / 2.f;
    const float w = b[2] - b[0], h = b[3] - b[1];
    const float x = cx - w / 2.f, y = cy - h / 2.f;
    const int32_t c = cls[i];
    YE_CHECK(c >= 0 && size_t(c) < category_id.size(), "append_coco_predictions: class ", c, " has no category id");
    records.push_back({{"image_id", image_id},
                       {"category_id", category_id[size_t(c)]},
                       {"bbox", {python_round(x, 3), python_round(y, 3), python_round(w, 3), python_round(h, 3)}},
                       {"score", python_round(conf[i], 5)}});
  }
}

nlohmann::json coco_gt_json(const std::vector<CocoGtImage>& images, const std::vector<std::string>& names,
                            const std::vector<int>& category_id) {
  YE_CHECK(category_id.size() >= names.size(), "coco_gt_json: fewer category ids than classes");
  nlohmann::json j;
  j["images"] = nlohmann::json::array();
  j["annotations"] = nlohmann::json::array();
  j["categories"] = nlohmann::json::array();
  int64_t ann_id = 1;
  for (const CocoGtImage& im : images) {
    YE_CHECK(im.boxes.size() == im.cls.size() * 4, "coco_gt_json: image ", im.file_name, ": boxes and classes disagree");
    j["images"].push_back({{"id", im.id}, {"file_name", im.file_name}, {"width", im.width}, {"height", im.height}});
    for (size_t k = 0; k < im.cls.size(); ++k) {
      const float* b = &im.boxes[k * 4];
      const double w = double(b[2]) - double(b[0]), h = double(b[3]) - double(b[1]);
      const int32_t c = im.cls[k];
      YE_CHECK(c >= 0 && size_t(c) < category_id.size(), "coco_gt_json: class ", c, " has no category id");
      j["annotations"].push_back({{"id", ann_id++},
                                  {"image_id", im.id},
                                  {"category_id", category_id[size_t(c)]},
                                  {"bbox", {double(b[0]), double(b[1]), w, h}},
                                  {"area", w * h},
                                  {"iscrowd", 0}});
    }
  }
  for (size_t c = 0; c < names.size(); ++c) j["categories"].push_back({{"id", category_id[c]}, {"name", names[c]}});
  return j;
}

void write_json_file(const std::string& path, const nlohmann::json& j) {
  std::ofstream f(path);
  YE_CHECK(f.good(), "write_json_file: cannot open ", path, " for writing");
  f << j.dump();
  f.close();
  YE_CHECK(f.good(), "write_json_file: failed writing ", path);
}

}  // namespace ye::yolo
