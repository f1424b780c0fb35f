// Numeric helpers with numpy's exact semantics, used by the AP/PR computations: linspace, interp
// (np.interp: last xp <= x, left/right values, duplicate xp allowed), trapezoid (np.trapezoid with
// numpy's pairwise summation), the reference's box-filter `smooth`, and round-half-even.
#pragma once
#include <cstddef>
#include <vector>

namespace ye::yolo {

// np.linspace(start, stop, num) with endpoint: k * step + start, last element exactly stop.
std::vector<double> linspace(double start, double stop, int num);

// np.interp(x, xp, fp, left, right) for one x; xp must be non-decreasing (duplicates allowed).
double interp(double x, const double* xp, const double* fp, size_t n, double left, double right);
// Same over a vector of x; right defaults to fp's last value as numpy does.
std::vector<double> interp(const std::vector<double>& x, const std::vector<double>& xp, const std::vector<double>& fp,
                           double left, double right);
std::vector<double> interp(const std::vector<double>& x, const std::vector<double>& xp, const std::vector<double>& fp,
                           double left);
std::vector<double> interp(const std::vector<double>& x, const std::vector<double>& xp, const std::vector<double>& fp);

// numpy's add.reduce of a contiguous double array (first element, then pairwise sum of the rest).
double numpy_sum(const double* a, size_t n);

// np.trapezoid(y, x).
double trapezoid(const std::vector<double>& y, const std::vector<double>& x);

// The reference's smooth(y, f): box filter of nf = round(len*f*2)//2 + 1 points (odd), padded with
// nf//2 copies of the first and last values, 'valid' convolution (same length as y).
std::vector<double> smooth(const std::vector<double>& y, double f);

// np.round / Python round to an integer value: half to even.
double round_half_even(double v);

}  // namespace ye::yolo
