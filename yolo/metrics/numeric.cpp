// numpy-exact numeric helpers for the metrics (see numeric.h): linspace, interp, pairwise sum,
// trapezoid, the reference's smooth and round-half-even.
#include "yolo/metrics/numeric.h"

#include <algorithm>
#include <cmath>

#include "kernels/error.h"

namespace ye::yolo {

std::vector<double> linspace(double start, double stop, int num) {
  YE_CHECK(num >= 0, "linspace: num must be >= 0, got ", num);
  std::vector<double> y(static_cast<size_t>(num));
  if (num == 0) return y;
  const int div = num - 1;
  const double step = div > 0 ? (stop - start) / div : 0.0;
  for (int k = 0; k < num; ++k) y[size_t(k)] = double(k) * step + start;
  if (num > 1) y.back() = stop;
  return y;
}

double interp(double x, const double* xp, const double* fp, size_t n, double left, double right) {
  YE_CHECK(n > 0, "interp: xp is empty");
  if (std::isnan(x)) return x;
  if (n == 1) return x < xp[0] ? left : (x > xp[0] ? right : fp[0]);
  if (x < xp[0]) return left;
  if (x > xp[n - 1]) return right;
  const size_t j = size_t(std::upper_bound(xp, xp + n, x) - xp) - 1;  // last xp[j] <= x
  if (j == n - 1 || xp[j] == x) return fp[j];
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  double r = slope * (x - xp[j]) + fp[j];
  if (std::isnan(r)) {
    r = slope * (x - xp[j + 1]) + fp[j + 1];
    if (std::isnan(r) && fp[j] == fp[j + 1]) r = fp[j];
  }
  return r;
}

std::vector<double> interp(const std::vector<double>& x, const std::vector<double>& xp, const std::vector<double>& fp,
                           double left, double right) {
  YE_CHECK(xp.size() == fp.size(), "interp: xp and fp differ in length (", xp.size(), " vs ", fp.size(), ")");
  std::vector<double> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) r[i] = interp(x[i], xp.data(), fp.data(), xp.size(), left, right);
  return r;
}

std::vector<double> interp(const std::vector<double>& x, const std::vector<double>& xp, const std::vector<double>& fp,
                           double left) {
  YE_CHECK(!fp.empty(), "interp: fp is empty");
  return interp(x, xp, fp, left, fp.back());
}

std::vector<double> interp(const std::vector<double>& x, const std::vector<double>& xp, const std::vector<double>& fp) {
  YE_CHECK(!fp.empty(), "interp: fp is empty");
  return interp(x, xp, fp, fp.front(), fp.back());
}

namespace {
// numpy's pairwise_sum for doubles: < 8 sequential, <= 128 eight accumulators, else split in halves.
double pairwise(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = a[k];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += a[i + size_t(k)];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise(a, n2) + pairwise(a + n2, n - n2);
}
}  // namespace

double numpy_sum(const double* a, size_t n) { return 0.0 + pairwise(a, n); }

double trapezoid(const std::vector<double>& y, const std::vector<double>& x) {
  YE_CHECK(y.size() == x.size(), "trapezoid: y and x differ in length");
  if (y.size() < 2) return 0.0;
  std::vector<double> terms(y.size() - 1);
  for (size_t i = 0; i + 1 < y.size(); ++i) terms[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
  return numpy_sum(terms.data(), terms.size());
}

std::vector<double> smooth(const std::vector<double>& y, double f) {
  if (y.empty()) return {};
  const long nf = long(round_half_even(double(y.size()) * f * 2.0)) / 2 + 1;
  const long pad = nf / 2;
  std::vector<double> yp;
  yp.reserve(y.size() + size_t(2 * pad));
  yp.insert(yp.end(), size_t(pad), y.front());
  yp.insert(yp.end(), y.begin(), y.end());
  yp.insert(yp.end(), size_t(pad), y.back());
  const double w = 1.0 / double(nf);
  std::vector<double> out(yp.size() - size_t(nf) + 1);
  for (size_t i = 0; i < out.size(); ++i) {
    double s = 0.0;
    for (long k = 0; k < nf; ++k) s += yp[i + size_t(k)] * w;
    out[i] = s;
  }
  return out;
}

double round_half_even(double v) { return std::nearbyint(v); }

}  // namespace ye::yolo
