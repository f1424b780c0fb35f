// Python-compatible number formatting (repr, round) and PyYAML scalar quoting; see py_format.h.
// repr uses std::to_chars' shortest round-trip digits and re-lays them out with Python's rule
// (scientific when the decimal exponent is < -4 or >= 16).
#include "yolo/config/py_format.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cctype>

namespace ye::yolo {

std::string py_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  std::array<char, 64> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::scientific);
  std::string sci(buf.data(), res.ptr);  // "-d.ddde+XX"
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exp10 = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  std::string out = neg ? "-" : "";
  if (exp10 < -4 || exp10 >= 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    return out + eb;
  }
  if (exp10 < 0) return out + "0." + std::string(size_t(-exp10 - 1), '0') + digits;
  size_t int_len = size_t(exp10) + 1;
  if (digits.size() <= int_len) return out + digits + std::string(int_len - digits.size(), '0') + ".0";
  return out + digits.substr(0, int_len) + "." + digits.substr(int_len);
}

std::string yaml_float(double x) {
  if (std::isnan(x)) return ".nan";
  if (std::isinf(x)) return x < 0 ? "-.inf" : ".inf";
  std::string r = py_float_repr(x);
  size_t e = r.find('e');
  if (e != std::string::npos && r.find('.') == std::string::npos) r.insert(e, ".0");
  return r;
}

namespace {
bool resolves_to_non_string(std::string_view s) {
  static constexpr std::string_view kWords[] = {"yes", "Yes", "YES", "no", "No", "NO", "true", "True",
      "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
      "NULL", "~", "y", "Y", "n", "N", "=", "<<"};
  for (auto w : kWords)
    if (s == w) return true;
  // Numbers of YAML 1.1 (ints incl. 0x/0o/0b/sexagesimal, floats, .inf/.nan): be conservative and
  // quote anything that starts like a number and holds only number characters.
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i < s.size() && (std::isdigit((unsigned char)s[i]) || s[i] == '.')) {
    bool all_num = true;
    for (size_t k = i; k < s.size(); ++k) {
      char c = s[k];
      if (!(std::isdigit((unsigned char)c) || c == '.' || c == '_' || c == 'e' || c == 'E' ||
            c == '+' || c == '-' || c == ':' || c == 'x' || c == 'o' || c == 'b' ||
            (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
        all_num = false;
    }
    if (all_num && s != "." && s.find_first_of("0123456789") != std::string_view::npos) return true;
  }
  std::string lower(s);
  for (auto& c : lower) c = char(std::tolower((unsigned char)c));
  if (lower == ".inf" || lower == "-.inf" || lower == "+.inf" || lower == ".nan") return true;
  return false;
}
}  // namespace

std::string yaml_string(std::string_view s) {
  bool quote = s.empty() || resolves_to_non_string(s);
  if (!quote) {
    static constexpr std::string_view kLead = "-?:,[]{}#&*!|>'\"%@`";
    char c0 = s[0];
    if (kLead.find(c0) != std::string_view::npos) {
      // "-", "?", ":" may start a plain scalar when followed by a non-space (PyYAML allows "-x").
      bool ok = (c0 == '-' || c0 == '?' || c0 == ':') && s.size() > 1 && s[1] != ' ';
      quote = !ok;
    }
    if (s.front() == ' ' || s.back() == ' ') quote = true;
    if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) quote = true;
    if (s.back() == ':') quote = true;
    for (char c : s)
      if (c == '\n' || c == '\t' || (unsigned char)c < 0x20) quote = true;
  }
  if (!quote) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

long long py_round(double x) {
  double f = std::floor(x);
  double diff = x - f;
  if (diff > 0.5) return (long long)f + 1;
  if (diff < 0.5) return (long long)f;
  long long fi = (long long)f;
  return (fi % 2 == 0) ? fi : fi + 1;
}

double py_round(double x, int ndigits) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", ndigits, x);  // glibc: exact value, ties to even
  return std::strtod(buf, nullptr);
}

std::string format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string out(size_t(n > 0 ? n : 0), '\0');
  std::vsnprintf(out.data(), out.size() + 1, fmt, ap2);
  va_end(ap2);
  return out;
}

}  // namespace ye::yolo
