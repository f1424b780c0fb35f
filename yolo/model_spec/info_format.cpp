// Text the reference prints about a model: Python str() of constructor args, the per-layer table of
// parse_model (from, n, params, module, arguments) and the model_info summary line with thousands
// separators and 1-decimal GFLOPs.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "yolo/model_spec/model_spec.h"

namespace ye::yolo {
namespace {

std::string py_float(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  double ax = std::fabs(x);
  bool fixed = ax == 0 || (ax >= 1e-4 && ax < 1e16);
  auto r = std::to_chars(buf, buf + sizeof buf, x, fixed ? std::chars_format::fixed : std::chars_format::scientific);
  std::string s(buf, r.ptr);
  if (fixed) {
    if (s.find('.') == std::string::npos) s += ".0";
  } else {
    auto e = s.find('e');  // Python writes at least two exponent digits: 1e-05
    if (e != std::string::npos && s.size() - e == 3) s = s.substr(0, e + 2) + "0" + s.substr(e + 2);
  }
  return s;
}

std::string with_commas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out = v < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string pad_left(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }
std::string pad_right(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string from_str(const std::vector<int>& f) {
  if (f.size() == 1) return std::to_string(f[0]);
  std::string s = "[";
  for (size_t i = 0; i < f.size(); ++i) s += (i ? ", " : "") + std::to_string(f[i]);
  return s + "]";
}

}  // namespace

std::string python_str(const ArgValue& v) {
  switch (v.kind) {
    case ArgValue::Kind::none: return "None";
    case ArgValue::Kind::boolean: return v.b ? "True" : "False";
    case ArgValue::Kind::integer: return std::to_string(v.i);
    case ArgValue::Kind::real: return py_float(v.d);
    case ArgValue::Kind::string: return "'" + v.s + "'";
    case ArgValue::Kind::list: return python_str(v.items);
  }
  return "?";
}

std::string python_str(const std::vector<ArgValue>& list) {
  std::string s = "[";
  for (size_t i = 0; i < list.size(); ++i) s += (i ? ", " : "") + python_str(list[i]);
  return s + "]";
}

std::string layer_table(const ModelSpec& spec) {
  std::ostringstream os;
  os << pad_left("", 3) << pad_left("from", 20) << pad_left("n", 3) << pad_left("params", 10) << "  "
     << pad_right("module", 45) << pad_right("arguments", 30) << "\n";
  for (const LayerSpec& l : spec.layers) {
    os << pad_left(std::to_string(l.index), 3) << pad_left(from_str(l.from), 20)
       << pad_left(std::to_string(l.repeats), 3) << pad_left(std::to_string(l.params), 10) << "  "
       << pad_right(module_type_path(l.kind), 45) << pad_right(python_str(l.args), 30) << "\n";
  }
  return os.str();
}

std::string summary_line(const ModelSpec& spec, int imgsz, bool fused, std::optional<bool> frozen) {
  ModelCounts c = model_counts(spec, fused);
  std::string name = spec.name;
  for (size_t p = name.find("yolo"); p != std::string::npos; p = name.find("yolo", p + 4)) name.replace(p, 4, "YOLO");
  if (name.empty()) name = "Model";
  double g = model_gflops(spec, imgsz, imgsz, fused);
  char gf[64];
  std::snprintf(gf, sizeof gf, ", %.1f GFLOPs", g);
  return name + " summary" + (fused ? " (fused)" : "") + ": " + with_commas(c.layers) + " layers, " +
         with_commas(c.parameters) + " parameters, " + with_commas(frozen.value_or(fused) ? 0 : c.gradients) + " gradients" + gf;
}

}  // namespace ye::yolo
