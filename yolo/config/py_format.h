// Number and text formatting that reproduces the reference's Python output exactly: repr(float),
// round() (half to even), "%.6g"-style printf, and PyYAML's plain/quoted scalar rules for args.yaml.
// Used by args.yaml, results.csv and the console lines so our files read like the reference's.
#pragma once
#include <string>
#include <string_view>

namespace ye::yolo {

// Python repr(x) of a float: shortest round-trip digits, fixed notation for 1e-4 <= |x| < 1e16
// (always with a '.', e.g. "3.0"), else "1e-05" / "1.5e+16"; "inf", "-inf", "nan".
std::string py_float_repr(double x);

// PyYAML's float representer: repr(x) lower-cased with ".0" inserted before a bare exponent
// ("1.0e-05"), ".inf", "-.inf", ".nan".
std::string yaml_float(double x);

// PyYAML safe_dump of a str scalar: plain when it would load back as the same string, else
// single-quoted ('' for the empty string, 'true', '123', 'a: b', ...).
std::string yaml_string(std::string_view s);

// Python round(x) -> int (ties to even) and round(x, ndigits) (correctly rounded decimal).
long long py_round(double x);
double py_round(double x, int ndigits);

// printf-style formatting into a std::string, e.g. format("%.6g", x) or format("%11.4g", v).
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace ye::yolo
