// results.png (2x5 grid of results.csv columns vs epoch with a Gaussian-smoothed dotted line) and
// the two smoothing filters of the reference (gaussian_filter1d, the box filter `smooth`).
#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "yolo/config/py_format.h"
#include "yolo/run/canvas.h"
#include "yolo/run/plots.h"

namespace ye::yolo {
using namespace plot;

std::vector<double> gaussian_smooth(const std::vector<double>& y, double sigma) {
  const int n = int(y.size());
  if (n == 0 || sigma <= 0) return y;
  const int radius = int(4.0 * sigma + 0.5);
  std::vector<double> k(size_t(2 * radius + 1));
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) sum += k[size_t(i + radius)] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (auto& v : k) v /= sum;
  auto at = [&](int i) {  // mode "reflect": d c b a | a b c d | d c b a
    int period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return y[size_t(i < n ? i : period - 1 - i)];
  };
  std::vector<double> out(size_t(n), 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = -radius; j <= radius; ++j) out[size_t(i)] += k[size_t(j + radius)] * at(i + j);
  return out;
}

std::vector<double> box_smooth(const std::vector<double>& y, double fraction) {
  if (y.empty()) return y;
  // nf = round(len * f * 2) // 2 + 1 (Python round, half to even)
  long nf = long(py_round(double(y.size()) * fraction * 2.0)) / 2 + 1, pad = nf / 2;
  std::vector<double> padded(size_t(pad), y.front());
  padded.insert(padded.end(), y.begin(), y.end());
  padded.insert(padded.end(), size_t(pad), y.back());
  std::vector<double> out(padded.size() - size_t(nf) + 1);
  for (size_t i = 0; i < out.size(); ++i) {
    double s = 0;
    for (long j = 0; j < nf; ++j) s += padded[i + size_t(j)];
    out[i] = s / double(nf);
  }
  return out;
}

void plot_results(const ResultsTable& table, const std::filesystem::path& out) {
  YE_CHECK(table.columns.size() >= 12, "plot_results: results.csv has ", table.columns.size(), " columns, expected the 15 detect columns");
  static constexpr size_t kIndex[10] = {2, 3, 4, 5, 6, 9, 10, 11, 7, 8};  // reference subplot order
  const int W = 2400, H = 1200;
  const double font = 12 * 200 / 72.0 * 0.8;  // matplotlib 12 pt titles at dpi 200, a little smaller
  Canvas c(W, H);
  std::vector<double> x;
  for (const auto& r : table.rows) x.push_back(r[0]);
  const Rgb orange{1.0, 0.498, 0.055};
  for (int k = 0; k < 10; ++k) {
    size_t col = kIndex[k];
    std::vector<double> y;
    for (const auto& r : table.rows) y.push_back(col < r.size() ? r[col] : NAN);
    std::vector<double> ys = gaussian_smooth(y, 3.0);
    Axes ax;
    double cw = W / 5.0, ch = H / 2.0;
    ax.x = (k % 5) * cw + 95, ax.y = (k / 5) * ch + 60, ax.w = cw - 120, ax.h = ch - 125;
    autoscale(x, ax.xmin, ax.xmax);
    std::vector<double> both = y;
    both.insert(both.end(), ys.begin(), ys.end());
    autoscale(both, ax.ymin, ax.ymax);
    ax.draw(c, table.columns[col], "", "", font);
    std::vector<double> X, Y, YS;
    for (size_t i = 0; i < x.size(); ++i) X.push_back(ax.px(x[i])), Y.push_back(ax.py(y[i])), YS.push_back(ax.py(ys[i]));
    ax.clip(c);
    c.polyline(X, Y, kTabBlue, 4);
    c.dots(X, Y, kTabBlue, 7);
    c.polyline(X, YS, orange, 4, true);
    Axes::unclip(c);
    if (k == 1) {  // legend on the second subplot, like the reference
      double lx = ax.x + ax.w - 230, ly = ax.y + 12;
      c.fill_rect(lx, ly, 218, 92, kWhite, 0.8);
      c.rect(lx, ly, 218, 92, rgb255(204, 204, 204), 2);
      c.line(lx + 12, ly + 28, lx + 72, ly + 28, kTabBlue, 4);
      c.dots({lx + 42}, {ly + 28}, kTabBlue, 7);
      c.text(lx + 84, ly + 28, "results", font * 0.8, kBlack, Align::start, Align::center);
      c.line(lx + 12, ly + 66, lx + 72, ly + 66, orange, 4, true);
      c.text(lx + 84, ly + 66, "smooth", font * 0.8, kBlack, Align::start, Align::center);
    }
  }
  c.save(out);
}

}  // namespace ye::yolo
