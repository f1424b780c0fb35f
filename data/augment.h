// Training augmentation with the reference's defaults and order: mosaic (4 tiles on a 2s canvas of
// 114), random perspective (+ box candidate filter), mixup, HSV, vertical and horizontal flips;
// letterbox for non-mosaic samples. Defines AugmentOptions, PixelBox, Sample and the transforms.
#pragma once
#include <array>
#include <vector>

#include "data/image.h"
#include "data/labels.h"
#include "data/rng.h"

namespace ye::data {

struct AugmentOptions {  // reference default.yaml values
  double hsv_h = 0.015, hsv_s = 0.7, hsv_v = 0.4;
  double degrees = 0.0, translate = 0.1, scale = 0.5, shear = 0.0, perspective = 0.0;
  double flipud = 0.0, fliplr = 0.5;
  double mosaic = 1.0, mixup = 0.0;
};

// A box in pixel corners of the image it belongs to.
struct PixelBox {
  int cls = 0;
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

struct Sample {
  Image img;
  std::vector<PixelBox> boxes;
};

std::vector<PixelBox> to_pixel_boxes(const std::vector<Box>& boxes, int h, int w);
std::vector<Box> to_normalized(const std::vector<PixelBox>& boxes, int h, int w);

// 2s x 2s canvas filled with 114; centre uniform in [s/2, 3s/2); tiles[0] top-left, 1 top-right,
// 2 bottom-left, 3 bottom-right, each touching the centre; boxes shifted, clipped to the canvas and
// zero-area ones removed.
Sample mosaic4(const std::array<const Image*, 4>& tiles, const std::array<const std::vector<PixelBox>*, 4>& boxes,
               int s, SampleRng& rng);

// The reference's RandomPerspective: output (in.w + 2*border) x (in.h + 2*border); M = T*S*R*P*C;
// boxes from the transformed corners, clipped, filtered by box_candidates (w, h > 2 px, area ratio
// > 0.1 of the scaled original, aspect < 100).
Sample random_perspective(const Sample& in, int border, const AugmentOptions& opt, SampleRng& rng);

// Letterbox to s x s (scaleup, centred, pad 114) with the boxes moved along.
Sample letterbox_sample(const Image& img, const std::vector<PixelBox>& boxes, int s);

void random_hsv(Image& img, const AugmentOptions& opt, SampleRng& rng);
void random_flips(Sample& sample, const AugmentOptions& opt, SampleRng& rng);  // flipud then fliplr
// Blends b into a with r ~ Beta(32, 32) and appends b's boxes.
void mixup(Sample& a, const Sample& b, SampleRng& rng);

}  // namespace ye::data
