// Dataset label statistics: labels.jpg (class-instance histogram, the first 500 boxes drawn
// centred on a 1000x1000 tile, x-y and width-height 2-D histograms) and labels_correlogram.jpg
// (4x4 pair plot of x, y, width, height with histograms on the diagonal).
#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "yolo/run/canvas.h"
#include "yolo/run/plots.h"

namespace ye::yolo {
using namespace plot;

namespace {

constexpr int kBins = 50;

double value_of(const LabelBox& b, int k) { return k == 0 ? b.x : k == 1 ? b.y : k == 2 ? b.w : b.h; }
const char* kVarNames[4] = {"x", "y", "width", "height"};

// 1-D histogram as bars over [0, 1].
void histogram_1d(Canvas& c, const Axes& ax, const std::vector<LabelBox>& labels, int k) {
  std::vector<double> counts(kBins, 0.0);
  for (const auto& b : labels) counts[size_t(std::clamp(int(value_of(b, k) * kBins), 0, kBins - 1))] += 1;
  double vmax = std::max(1.0, *std::max_element(counts.begin(), counts.end()));
  for (int i = 0; i < kBins; ++i) {
    double x0 = ax.x + ax.w * i / kBins, hh = ax.h * 0.95 * counts[size_t(i)] / vmax;
    c.fill_rect(x0, ax.y + ax.h - hh, ax.w / kBins, hh, kTabBlue, 0.85);
  }
}

// 2-D histogram of variables (kx, ky) over [0, 1]^2, colour saturating at the 90th percentile.
void histogram_2d(Canvas& c, const Axes& ax, const std::vector<LabelBox>& labels, int kx, int ky) {
  std::vector<double> counts(size_t(kBins * kBins), 0.0);
  for (const auto& b : labels) {
    int i = std::clamp(int(value_of(b, kx) * kBins), 0, kBins - 1), j = std::clamp(int(value_of(b, ky) * kBins), 0, kBins - 1);
    counts[size_t(j * kBins + i)] += 1;
  }
  std::vector<double> nz;
  for (double v : counts)
    if (v > 0) nz.push_back(v);
  if (nz.empty()) return;
  std::sort(nz.begin(), nz.end());
  double vmax = std::max(1.0, nz[size_t(0.9 * double(nz.size() - 1))]);
  for (int j = 0; j < kBins; ++j)
    for (int i = 0; i < kBins; ++i) {
      double v = counts[size_t(j * kBins + i)];
      if (v <= 0) continue;
      double cw = ax.w / kBins, ch = ax.h / kBins;
      c.fill_rect(ax.x + i * cw, ax.y + ax.h - (j + 1) * ch, cw + 0.5, ch + 0.5, blues(0.25 + 0.75 * std::min(v / vmax, 1.0)));
    }
}

void check_labels(const char* fn, const std::vector<LabelBox>& labels) {
  for (const auto& b : labels)
    YE_CHECK(std::isfinite(b.x) && std::isfinite(b.y) && std::isfinite(b.w) && std::isfinite(b.h) && b.cls >= 0, fn,
             ": label boxes must be finite normalized xywh with class >= 0");
}

}  // namespace

void plot_labels(const std::vector<LabelBox>& labels, const std::vector<std::string>& names,
                 const std::filesystem::path& out) {
  check_labels("plot_labels", labels);
  const double font = 10 * 200 / 72.0;
  const int nc = std::max<int>(int(names.size()), 1);
  Canvas c(1600, 1600);
  // Top left: instances per class, bars in class colours.
  std::vector<double> counts(size_t(nc), 0.0);
  for (const auto& b : labels)
    if (b.cls < nc) counts[size_t(b.cls)] += 1;
  Axes hist{130, 60, 600, nc < 30 ? 560.0 : 620.0, -0.5, nc - 0.5, 0, 1};
  hist.ymax = std::max(1.0, *std::max_element(counts.begin(), counts.end())) * 1.05;
  hist.x_tick_labels = nc >= 30;  // class names instead of numbers
  hist.draw(c, "", nc < 30 ? "" : "classes", "instances", font);
  for (int k = 0; k < nc; ++k) {
    double x0 = hist.px(k - 0.4), x1 = hist.px(k + 0.4);
    c.fill_rect(x0, hist.py(counts[size_t(k)]), x1 - x0, hist.py(0) - hist.py(counts[size_t(k)]), class_color(k));
    if (nc < 30 && size_t(k) < names.size())
      c.text((x0 + x1) / 2, hist.y + hist.h + 50, names[size_t(k)], font * 0.8, kBlack, Align::end, Align::center, -M_PI / 2);
  }
  // Top right: the first 500 boxes centred on a 1000x1000 tile, drawn at 0.6 scale.
  const double tx = 900, ty = 60, ts = 600;
  for (size_t i = 0; i < labels.size() && i < 500; ++i) {
    const auto& b = labels[i];
    c.rect(tx + (0.5 - b.w / 2) * ts, ty + (0.5 - b.h / 2) * ts, b.w * ts, b.h * ts, class_color(b.cls), 1);
  }
  // Bottom: x-y and width-height distributions.
  Axes xy{130, 900, 600, 600, 0, 1, 0, 1}, wh{900, 900, 600, 600, 0, 1, 0, 1};
  histogram_2d(c, xy, labels, 0, 1);
  histogram_2d(c, wh, labels, 2, 3);
  xy.draw(c, "", "x", "y", font);
  wh.draw(c, "", "width", "height", font);
  c.save(out);
}

void plot_labels_correlogram(const std::vector<LabelBox>& labels, const std::filesystem::path& out) {
  check_labels("plot_labels_correlogram", labels);
  const double font = 10 * 200 / 72.0;
  Canvas c(1600, 1600);
  const double x0 = 120, y0 = 40, cell = 365, pad = 30;
  for (int r = 0; r < 4; ++r)
    for (int k = 0; k < 4; ++k) {
      Axes ax{x0 + k * cell, y0 + r * cell, cell - pad, cell - pad, 0, 1, 0, 1, r == 3, k == 0};
      if (r == k) histogram_1d(c, ax, labels, k);
      else histogram_2d(c, ax, labels, k, r);
      ax.draw(c, "", r == 3 ? kVarNames[k] : "", k == 0 ? kVarNames[r] : "", font * 0.8);
    }
  c.save(out);
}

}  // namespace ye::yolo
