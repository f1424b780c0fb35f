// The pixel loops of augmentation, written for speed (row-wise, integer arithmetic, no per-pixel
// calls): bilinear affine and perspective warps with a constant border, the HSV gain pass in OpenCV's
// uint8 HSV (H in 0..179), horizontal/vertical flips and the mixup blend.
#pragma once
#include <array>

#include "data/image.h"

namespace ye::data {

// dst(x, y) = src(M^-1 (x, y)) for the forward 2x3 affine M (src -> dst), bilinear as cv2.warpAffine
// (byte for byte when M has no rotation or shear, within 1 level otherwise); outside samples read
// `border`. dst keeps its size.
void warp_affine(const Image& src, Image& dst, const std::array<double, 6>& M, uint8_t border = 114);
// Same for a 3x3 homography (row-major): cv2.warpPerspective's bilinear within 1 level (on ~0.1% of pixels).
void warp_perspective(const Image& src, Image& dst, const std::array<double, 9>& M, uint8_t border = 114);

// The reference's RandomHSV with drawn gains (each in [-1, 1] times hsv_h/s/v): hue additive
// (x + gh*180) mod 180, saturation and value multiplied by (1 + g) and clipped, sat LUT[0] = 0, in
// OpenCV's 8-bit HSV; byte for byte the reference's output on an AVX2 host (data/hsv.cpp).
void apply_hsv_gains(Image& img, double gain_h, double gain_s, double gain_v);

void flip_horizontal(Image& img);
void flip_vertical(Image& img);
// a = uint8(a * r + b * (1 - r)) (truncation, as numpy's astype); same sizes.
void blend_images(Image& a, const Image& b, double r);

}  // namespace ye::data
