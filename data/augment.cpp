// Training transforms (see augment.h): mosaic placement, the random affine/perspective matrix and box
// transform with the candidate filter, letterbox of a sample, HSV, flips and mixup.
#include "data/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "data/pixel_ops.h"

namespace ye::data {

std::vector<PixelBox> to_pixel_boxes(const std::vector<Box>& boxes, int h, int w) {
  std::vector<PixelBox> out;
  out.reserve(boxes.size());
  for (const auto& b : boxes)
    out.push_back({b.cls, (b.xc - b.w / 2) * w, (b.yc - b.h / 2) * h, (b.xc + b.w / 2) * w, (b.yc + b.h / 2) * h});
  return out;
}

std::vector<Box> to_normalized(const std::vector<PixelBox>& boxes, int h, int w) {
  std::vector<Box> out;
  out.reserve(boxes.size());
  for (const auto& b : boxes)
    out.push_back({b.cls, (b.x1 + b.x2) / 2 / w, (b.y1 + b.y2) / 2 / h, (b.x2 - b.x1) / w, (b.y2 - b.y1) / h});
  return out;
}

Sample mosaic4(const std::array<const Image*, 4>& tiles, const std::array<const std::vector<PixelBox>*, 4>& boxes,
               int s, SampleRng& rng) {
  const int S2 = 2 * s;
  const int xc = int(rng.uniform(s / 2.0, 1.5 * s)), yc = int(rng.uniform(s / 2.0, 1.5 * s));
  Sample out;
  out.img = Image(S2, S2, 114);
  for (int i = 0; i < 4; ++i) {
    const Image& im = *tiles[i];
    const int h = im.h, w = im.w;
    int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
    if (i == 0) {
      x1a = std::max(xc - w, 0), y1a = std::max(yc - h, 0), x2a = xc, y2a = yc;
      x1b = w - (x2a - x1a), y1b = h - (y2a - y1a), x2b = w, y2b = h;
    } else if (i == 1) {
      x1a = xc, y1a = std::max(yc - h, 0), x2a = std::min(xc + w, S2), y2a = yc;
      x1b = 0, y1b = h - (y2a - y1a), x2b = std::min(w, x2a - x1a), y2b = h;
    } else if (i == 2) {
      x1a = std::max(xc - w, 0), y1a = yc, x2a = xc, y2a = std::min(S2, yc + h);
      x1b = w - (x2a - x1a), y1b = 0, x2b = w, y2b = std::min(y2a - y1a, h);
    } else {
      x1a = xc, y1a = yc, x2a = std::min(xc + w, S2), y2a = std::min(S2, yc + h);
      x1b = 0, y1b = 0, x2b = std::min(w, x2a - x1a), y2b = std::min(y2a - y1a, h);
    }
    const int cw = x2b - x1b;
    (void)y2b;  // the copied height is y2a - y1a
    for (int y = 0; y < y2a - y1a; ++y)
      std::memcpy(out.img.row(y1a + y) + 3 * x1a, im.row(y1b + y) + 3 * x1b, size_t(cw) * 3);
    const float padw = float(x1a - x1b), padh = float(y1a - y1b);
    for (const auto& b : *boxes[i]) {
      PixelBox nb{b.cls, std::clamp(b.x1 + padw, 0.f, float(S2)), std::clamp(b.y1 + padh, 0.f, float(S2)),
                  std::clamp(b.x2 + padw, 0.f, float(S2)), std::clamp(b.y2 + padh, 0.f, float(S2))};
      if ((nb.x2 - nb.x1) * (nb.y2 - nb.y1) > 0) out.boxes.push_back(nb);
    }
  }
  return out;
}

namespace {

using Mat3 = std::array<double, 9>;

Mat3 matmul(const Mat3& a, const Mat3& b) {
  Mat3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[3 * i + j] += a[3 * i + k] * b[3 * k + j];
  return c;
}

Mat3 eye() { return {1, 0, 0, 0, 1, 0, 0, 0, 1}; }

}  // namespace

Sample random_perspective(const Sample& in, int border, const AugmentOptions& opt, SampleRng& rng) {
  const int out_w = in.img.w + 2 * border, out_h = in.img.h + 2 * border;
  constexpr double kDeg = std::numbers::pi / 180.0;
  Mat3 C = eye(), P = eye(), R = eye(), Sh = eye(), T = eye();
  C[2] = -in.img.w / 2.0;
  C[5] = -in.img.h / 2.0;
  P[6] = rng.uniform(-opt.perspective, opt.perspective);
  P[7] = rng.uniform(-opt.perspective, opt.perspective);
  const double angle = rng.uniform(-opt.degrees, opt.degrees);
  const double s = rng.uniform(1 - opt.scale, 1 + opt.scale);
  const double ca = s * std::cos(angle * kDeg), sa = s * std::sin(angle * kDeg);
  R[0] = ca, R[1] = sa, R[3] = -sa, R[4] = ca;
  Sh[1] = std::tan(rng.uniform(-opt.shear, opt.shear) * kDeg);
  Sh[3] = std::tan(rng.uniform(-opt.shear, opt.shear) * kDeg);
  T[2] = rng.uniform(0.5 - opt.translate, 0.5 + opt.translate) * out_w;
  T[5] = rng.uniform(0.5 - opt.translate, 0.5 + opt.translate) * out_h;
  const Mat3 M = matmul(T, matmul(Sh, matmul(R, matmul(P, C))));
  const bool persp = opt.perspective != 0;

  Sample out;
  out.img = Image(out_h, out_w);
  if (persp)
    warp_perspective(in.img, out.img, M);
  else
    warp_affine(in.img, out.img, {M[0], M[1], M[2], M[3], M[4], M[5]});

  for (const auto& b : in.boxes) {
    const double xs[4] = {b.x1, b.x2, b.x1, b.x2}, ys[4] = {b.y1, b.y2, b.y2, b.y1};
    double nx1 = 1e18, ny1 = 1e18, nx2 = -1e18, ny2 = -1e18;
    for (int k = 0; k < 4; ++k) {
      double X = M[0] * xs[k] + M[1] * ys[k] + M[2], Y = M[3] * xs[k] + M[4] * ys[k] + M[5];
      if (persp) {
        double Wd = M[6] * xs[k] + M[7] * ys[k] + M[8];
        X /= Wd, Y /= Wd;
      }
      nx1 = std::min(nx1, X), nx2 = std::max(nx2, X), ny1 = std::min(ny1, Y), ny2 = std::max(ny2, Y);
    }
    nx1 = std::clamp(nx1, 0.0, double(out_w)), nx2 = std::clamp(nx2, 0.0, double(out_w));
    ny1 = std::clamp(ny1, 0.0, double(out_h)), ny2 = std::clamp(ny2, 0.0, double(out_h));
    // box_candidates: against the original box scaled by s.
    const double w1 = (b.x2 - b.x1) * s, h1 = (b.y2 - b.y1) * s;
    const double w2 = nx2 - nx1, h2 = ny2 - ny1;
    const double ar = std::max(w2 / (h2 + 1e-16), h2 / (w2 + 1e-16));
    if (w2 > 2 && h2 > 2 && w2 * h2 / (w1 * h1 + 1e-16) > 0.1 && ar < 100)
      out.boxes.push_back({b.cls, float(nx1), float(ny1), float(nx2), float(ny2)});
  }
  return out;
}

Sample letterbox_sample(const Image& img, const std::vector<PixelBox>& boxes, int s) {
  Letterboxed lb = letterbox(img, s, s, true);
  Sample out;
  out.img = std::move(lb.img);
  out.boxes.reserve(boxes.size());
  for (const auto& b : boxes)
    out.boxes.push_back({b.cls, b.x1 * lb.ratio + lb.pad_left, b.y1 * lb.ratio + lb.pad_top,
                         b.x2 * lb.ratio + lb.pad_left, b.y2 * lb.ratio + lb.pad_top});
  return out;
}

void random_hsv(Image& img, const AugmentOptions& opt, SampleRng& rng) {
  if (opt.hsv_h == 0 && opt.hsv_s == 0 && opt.hsv_v == 0) return;
  const double gh = rng.uniform(-1, 1) * opt.hsv_h, gs = rng.uniform(-1, 1) * opt.hsv_s,
               gv = rng.uniform(-1, 1) * opt.hsv_v;
  apply_hsv_gains(img, gh, gs, gv);
}

void random_flips(Sample& sample, const AugmentOptions& opt, SampleRng& rng) {
  const float w = float(sample.img.w), h = float(sample.img.h);
  if (rng.chance(opt.flipud)) {
    flip_vertical(sample.img);
    for (auto& b : sample.boxes) b = {b.cls, b.x1, h - b.y2, b.x2, h - b.y1};
  }
  if (rng.chance(opt.fliplr)) {
    flip_horizontal(sample.img);
    for (auto& b : sample.boxes) b = {b.cls, w - b.x2, b.y1, w - b.x1, b.y2};
  }
}

void mixup(Sample& a, const Sample& b, SampleRng& rng) {
  blend_images(a.img, b.img, rng.beta(32.0, 32.0));
  a.boxes.insert(a.boxes.end(), b.boxes.begin(), b.boxes.end());
}

}  // namespace ye::data
