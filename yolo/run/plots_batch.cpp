// Batch mosaics (train_batch*.jpg, val_batch*_labels.jpg, val_batch*_pred.jpg): up to 16 images
// in a square grid filled column by column, scaled so the mosaic is at most max_size px, white
// tile borders, optional file names, and class-coloured boxes with name (and confidence) labels.
#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "yolo/config/py_format.h"
#include "yolo/run/canvas.h"
#include "yolo/run/plots.h"

namespace ye::yolo {
using namespace plot;

std::pair<int, int> batch_mosaic_size(int n, int h, int w, int max_size) {
  int bs = std::min(n, 16);
  int ns = int(std::ceil(std::sqrt(double(bs))));
  double scale = double(max_size) / ns / std::max(h, w);
  if (scale < 1) h = int(std::ceil(scale * h)), w = int(std::ceil(scale * w));
  return {ns * w, ns * h};
}

void plot_batch(const uint8_t* images, int n, int h, int w, const std::vector<BatchBox>& boxes,
                const std::vector<std::string>& names, const std::filesystem::path& out,
                const std::vector<std::string>& paths, int max_size, float conf_threshold) {
  YE_CHECK(images && n > 0 && h > 0 && w > 0, "plot_batch: need at least one image with positive size, got n=", n, " ", h, "x", w);
  const int bs = std::min(n, 16);
  const int ns = int(std::ceil(std::sqrt(double(bs))));
  double scale = double(max_size) / ns / std::max(h, w);
  int th = h, tw = w;
  if (scale < 1) th = int(std::ceil(scale * h)), tw = int(std::ceil(scale * w));
  Canvas c(ns * tw, ns * th);
  const double fs = std::max(int((th + tw) * ns * 0.01), 18);
  const double lw = std::max(1.0, std::round(fs / 10));
  for (int i = 0; i < bs; ++i) {
    double x = tw * (i / ns), y = th * (i % ns);  // column-major block origin
    c.image(images + size_t(i) * size_t(h) * size_t(w) * 3, w, h, x, y, tw, th);
  }
  for (int i = 0; i < bs; ++i) {
    double x = tw * (i / ns), y = th * (i % ns);
    c.rect(x + 1, y + 1, tw - 2, th - 2, kWhite, 2);
    if (size_t(i) < paths.size()) {
      std::string name = std::filesystem::path(paths[size_t(i)]).filename().string().substr(0, 40);
      c.text(x + 5, y + 5, name, fs * 0.8, rgb255(220, 220, 220));
    }
    std::vector<BatchBox> mine;
    for (const auto& b : boxes)
      if (b.image == i) mine.push_back(b);
    if (mine.empty()) continue;
    float mx = 0;
    for (const auto& b : mine) mx = std::max({mx, b.x, b.y, b.w, b.h});
    bool normalized = mx <= 1.1f;
    for (const auto& b : mine) {
      bool is_pred = b.conf >= 0;
      if (is_pred && !(b.conf > conf_threshold)) continue;
      double sx = normalized ? tw : (scale < 1 ? scale : 1.0), sy = normalized ? th : (scale < 1 ? scale : 1.0);
      double bx = b.x * sx + x, by = b.y * sy + y, bw = b.w * sx, bh = b.h * sy;
      double x1 = std::floor(bx - bw / 2), y1 = std::floor(by - bh / 2), x2 = std::floor(bx + bw / 2), y2 = std::floor(by + bh / 2);
      Rgb col = class_color(b.cls);
      c.rect(x1, y1, x2 - x1, y2 - y1, col, lw);
      std::string label = b.cls >= 0 && size_t(b.cls) < names.size() ? names[size_t(b.cls)] : std::to_string(b.cls);
      if (is_pred) label += format(" %.1f", b.conf);
      double tfs = fs * 0.7, twid = c.text_width(label, tfs) + 4, thgt = tfs * 1.25;
      double ly = y1 - thgt >= y ? y1 - thgt : y1;  // above the box, or inside when at the tile top
      c.fill_rect(x1 - lw / 2, ly, twid, thgt, col);
      double lum = 0.299 * col.r + 0.587 * col.g + 0.114 * col.b;
      c.text(x1 + 2 - lw / 2, ly + thgt / 2, label, tfs, lum > 0.6 ? kBlack : kWhite, Align::start, Align::center);
    }
  }
  c.save(out);
}

}  // namespace ye::yolo
