// Validation plots: confusion matrix heat maps (raw and column-normalized, annotated, class names
// on both axes) and the Box* curves (PR, F1/P/R vs confidence) with per-class lines, a thick mean
// line and an outside legend, laid out like the reference's matplotlib figures.
#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "yolo/config/py_format.h"
#include "yolo/run/canvas.h"
#include "yolo/run/plots.h"

namespace ye::yolo {
using namespace plot;

namespace {

// matplotlib's tab10 cycle for the per-class lines.
Rgb tab10(size_t i) {
  static constexpr uint32_t k[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                   0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
  uint32_t v = k[i % 10];
  return rgb255(int(v >> 16), int((v >> 8) & 0xff), int(v & 0xff));
}

struct LegendEntry {
  std::string text;
  Rgb color;
  double width;
};

void draw_legend(Canvas& c, double x, double y, const std::vector<LegendEntry>& entries, double font) {
  if (entries.empty()) return;
  double row = font * 1.45, wmax = 0;
  for (const auto& e : entries) wmax = std::max(wmax, c.text_width(e.text, font));
  double bw = wmax + font * 3.6, bh = row * double(entries.size()) + font * 0.6;
  c.fill_rect(x, y, bw, bh, kWhite, 0.8);
  c.rect(x, y, bw, bh, rgb255(204, 204, 204), 2);
  for (size_t i = 0; i < entries.size(); ++i) {
    double cy = y + font * 0.3 + row * (double(i) + 0.5);
    c.line(x + font * 0.4, cy, x + font * 2.4, cy, entries[i].color, entries[i].width);
    c.text(x + font * 2.9, cy, entries[i].text, font, kBlack, Align::start, Align::center);
  }
}

void check_curves(const char* fn, const std::vector<double>& px, const std::vector<std::vector<double>>& py) {
  YE_CHECK(!px.empty(), fn, ": empty x grid");
  for (const auto& y : py) YE_CHECK(y.size() == px.size(), fn, ": a class curve has ", y.size(), " points, x has ", px.size());
}

// The shared figure of the curve plots: 9x6 in at dpi 250, axes [0,1]^2, legend outside right.
void draw_curves(const std::vector<double>& px, const std::vector<std::vector<double>>& py,
                 const std::vector<std::string>& class_labels, const std::vector<double>& mean,
                 const std::string& mean_label, const std::string& xlabel, const std::string& ylabel,
                 const std::string& title, const std::filesystem::path& out) {
  const double font = 10 * 250 / 72.0;
  Canvas c(2250, 1500);
  Axes ax;
  ax.x = 190, ax.y = 110, ax.w = 1330, ax.h = 1200;
  ax.draw(c, title, xlabel, ylabel, font);
  std::vector<double> X;
  for (double v : px) X.push_back(ax.px(v));
  auto to_px = [&](const std::vector<double>& y) {
    std::vector<double> Y;
    for (double v : y) Y.push_back(ax.py(v));
    return Y;
  };
  std::vector<LegendEntry> legend;
  bool per_class = !py.empty() && py.size() < 21 && class_labels.size() == py.size();
  ax.clip(c);
  for (size_t i = 0; i < py.size(); ++i) {
    Rgb col = per_class ? tab10(i) : kGrey;
    c.polyline(X, to_px(py[i]), col, 3);
    if (per_class) legend.push_back({class_labels[i], col, 3});
  }
  c.polyline(X, to_px(mean), Rgb{0, 0, 1}, 9);
  Axes::unclip(c);
  legend.push_back({mean_label, Rgb{0, 0, 1}, 9});
  draw_legend(c, ax.x + ax.w + 0.04 * ax.w, ax.y, legend, font * 0.8);
  c.save(out);
}

std::vector<double> class_mean(const std::vector<std::vector<double>>& py, size_t n) {
  std::vector<double> m(n, 0.0);
  for (const auto& y : py)
    for (size_t k = 0; k < n; ++k) m[k] += y[k] / double(py.size());
  return m;
}

}  // namespace

void plot_confusion_matrix(const std::vector<double>& matrix, const std::vector<std::string>& names, bool normalize,
                           const std::filesystem::path& out) {
  const size_t n = names.size() + 1;  // classes + background
  YE_CHECK(matrix.size() == n * n, "plot_confusion_matrix: matrix has ", matrix.size(), " cells, expected (nc+1)^2 = ", n * n);
  std::vector<double> a = matrix;
  if (normalize)
    for (size_t j = 0; j < n; ++j) {
      double s = 1e-9;
      for (size_t i = 0; i < n; ++i) s += matrix[i * n + j];
      for (size_t i = 0; i < n; ++i) a[i * n + j] = matrix[i * n + j] / s;
    }
  double vmax = 0;
  for (auto& v : a) {
    if (v < 0.005) v = NAN;
    else vmax = std::max(vmax, v);
  }
  if (vmax <= 0) vmax = 1;
  const double font = 10 * 250 / 72.0;
  const double tick_font = n < 30 ? font * 0.8 : std::max(10.0, font * 0.8 * 30.0 / double(n));
  Canvas c(3000, 2250);
  const double side = 1500, x0 = 560, y0 = 200, cell = side / double(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double v = a[i * n + j];
      c.fill_rect(x0 + double(j) * cell, y0 + double(i) * cell, cell + 0.5, cell + 0.5, std::isnan(v) ? kWhite : blues(v / vmax));
      if (n - 1 < 30 && i + 1 < n && !std::isnan(v)) {
        std::string s = normalize ? format("%.2f", v) : format("%.0f", v);
        double thr = 0.45 * (normalize ? 1.0 : vmax);
        c.text(x0 + (double(j) + 0.5) * cell, y0 + (double(i) + 0.5) * cell, s, std::min(font * 0.9, cell * 0.35),
               v > thr ? kWhite : kBlack, Align::center, Align::center);
      }
    }
  c.rect(x0, y0, side, side, kBlack, 2);
  if (n < 100)
    for (size_t k = 0; k < n; ++k) {
      std::string label = k + 1 < n ? names[k] : "background";
      double mid = (double(k) + 0.5) * cell;
      c.line(x0 + mid, y0 + side, x0 + mid, y0 + side + 10, kBlack, 2);
      c.text(x0 + mid, y0 + side + 16, label, tick_font, kBlack, Align::end, Align::center, -M_PI / 2);
      c.line(x0 - 10, y0 + mid, x0, y0 + mid, kBlack, 2);
      c.text(x0 - 16, y0 + mid, label, tick_font, kBlack, Align::end, Align::center);
    }
  c.text(x0 + side / 2, y0 - 50, normalize ? "Confusion Matrix Normalized" : "Confusion Matrix", font * 1.2, kBlack,
         Align::center, Align::end);
  double longest = 0;
  for (const auto& nm : names) longest = std::max(longest, c.text_width(nm, tick_font));
  longest = std::max(longest, c.text_width("background", tick_font));
  c.text(x0 + side / 2, y0 + side + 40 + (n < 100 ? longest : 0), "True", font, kBlack, Align::center, Align::start);
  c.text(60, y0 + side / 2, "Predicted", font, kBlack, Align::center, Align::start, -M_PI / 2);
  // Colour bar.
  const double bx = x0 + side + 80, bw = 70;
  for (int k = 0; k < 300; ++k) c.fill_rect(bx, y0 + side - (k + 1) * side / 300, bw, side / 300 + 0.5, blues(k / 299.0));
  c.rect(bx, y0, bw, side, kBlack, 2);
  for (double t : nice_ticks(0, vmax, 6)) {
    double yy = y0 + side - t / vmax * side;
    c.line(bx + bw, yy, bx + bw + 10, yy, kBlack, 2);
    c.text(bx + bw + 16, yy, tick_label(t, vmax > 5 ? 1 : 0.1), font * 0.8, kBlack, Align::start, Align::center);
  }
  c.save(out);
}

void plot_pr_curve(const std::vector<double>& px, const std::vector<std::vector<double>>& py,
                   const std::vector<double>& ap50, const std::vector<std::string>& names,
                   const std::filesystem::path& out) {
  check_curves("plot_pr_curve", px, py);
  YE_CHECK(ap50.size() == py.size(), "plot_pr_curve: ", ap50.size(), " AP values for ", py.size(), " class curves");
  std::vector<std::string> labels;
  double map = 0;
  for (size_t i = 0; i < py.size(); ++i) {
    labels.push_back((i < names.size() ? names[i] : std::to_string(i)) + format(" %.3f", ap50[i]));
    map += ap50[i] / double(py.size());
  }
  draw_curves(px, py, labels, class_mean(py, px.size()), format("all classes %.3f mAP@0.5", map), "Recall",
              "Precision", "Precision-Recall Curve", out);
}

void plot_metric_confidence_curve(const std::vector<double>& px, const std::vector<std::vector<double>>& py,
                                  const std::vector<std::string>& names, const std::string& ylabel,
                                  const std::filesystem::path& out) {
  check_curves("plot_metric_confidence_curve", px, py);
  std::vector<double> mean = box_smooth(class_mean(py, px.size()), 0.1);
  size_t best = size_t(std::max_element(mean.begin(), mean.end()) - mean.begin());
  std::vector<std::string> labels;
  for (size_t i = 0; i < py.size(); ++i) labels.push_back(i < names.size() ? names[i] : std::to_string(i));
  draw_curves(px, py, labels, mean, format("all classes %.2f at %.3f", mean[best], px[best]), "Confidence", ylabel,
              ylabel + "-Confidence Curve", out);
}

}  // namespace ye::yolo
