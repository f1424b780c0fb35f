// Synthetic detection dataset generator: filled shapes of K classes (distinct shape and colour per
// class, varied sizes and positions, a few non-overlapping objects per image) on textured backgrounds,
// with exact YOLO labels, train/val splits and a dataset YAML. Defines SynthOptions, SynthResult and
// generate_synthetic_dataset.
#pragma once
#include <cstdint>
#include <string>

namespace ye::data {

struct SynthOptions {
  std::string out_dir;
  int images = 64;         // total, split into train and val
  int classes = 3;
  int imgsz = 320;         // long side; the short side varies in [0.75, 1] * imgsz
  double val_fraction = 0.25;
  int max_objects = 4;     // 1..max_objects per image
  bool jpeg = true;        // JPEG (quality 92) or PNG
  uint64_t seed = 0;
};

struct SynthResult {
  std::string yaml_path;
  int train_images = 0, val_images = 0;
  int64_t train_boxes = 0, val_boxes = 0;
};

// Writes out_dir/{images,labels}/{train,val}/ and out_dir/data.yaml; throws ye::Error on I/O errors.
SynthResult generate_synthetic_dataset(const SynthOptions& opt);

// The shape name of class c (circle, square, triangle, ...), for the YAML names.
std::string synth_class_name(int c);

}  // namespace ye::data
