// COCO-format JSON for detections (the reference's save_json: predictions.json records) and for a
// dataset's ground truth (images, annotations, categories) so pycocotools can score the predictions.
// Category ids: COCO's 91-id scheme when the val set is COCO (val path ending in val2017.txt or
// test-dev2017.txt and containing "coco"), otherwise class index + 1 (the reference's class_map).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace ye::yolo {

// The 80 COCO category ids of the 80 YOLO classes (coco80_to_coco91_class).
const std::vector<int>& coco80_to_coco91();
// The reference's DetectionValidator.is_coco test on the val path string.
bool is_coco_val_path(const std::string& val_path);
// class index -> category id: coco80_to_coco91 when is_coco, else 1..nc.
std::vector<int> category_ids(int nc, bool is_coco);

// image_id of a file: int(stem) when the stem is all digits, else the stem string.
nlohmann::json coco_image_id(const std::string& filename);

// Python's round(x, ndigits) for a double (correctly rounded, ties to even on the exact value).
double python_round(double x, int ndigits);

// Appends one record per detection to `records` (a JSON array): image_id, category_id, bbox [x, y, w, h]
// (top-left corner, original pixels, each rounded to 3 decimals after the reference's f32 xyxy->xywh),
// score rounded to 5 decimals. boxes: (n, 4) xyxy, conf (n), cls (n).
void append_coco_predictions(nlohmann::json& records, const nlohmann::json& image_id, std::span<const float> boxes,
                             std::span<const float> conf, std::span<const int32_t> cls,
                             const std::vector<int>& category_id);

// One image of a GT file: its id (as coco_image_id gives), file name, size and labels (xyxy pixels).
struct CocoGtImage {
  nlohmann::json id;
  std::string file_name;
  int width = 0, height = 0;
  std::vector<float> boxes;  // (m, 4) xyxy in original pixels
  std::vector<int32_t> cls;  // (m)
};

// {"images", "annotations" (1-based ids, bbox xywh, area w*h, iscrowd 0), "categories"}.
nlohmann::json coco_gt_json(const std::vector<CocoGtImage>& images, const std::vector<std::string>& names,
                            const std::vector<int>& category_id);

// Writes json to path (pretty = false: compact, like json.dump); throws ye::Error naming the path.
void write_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace ye::yolo
