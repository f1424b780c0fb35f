// Reading model config files into RawModelConfig: our TOML format (configs/yolov8.toml) and the
// Ultralytics model YAML (nc, scales, backbone, head rows [from, repeats, module, args]). Every
// problem throws ye::Error naming the file, the row or line, and what is wrong.
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <toml++/toml.h>

#include "kernels/error.h"
#include "yolo/model_spec/model_spec.h"

namespace ye::yolo {
namespace {

// A Python-literal-like reading of a bare YAML/TOML string: None, True/False, ints, floats.
ArgValue literal_from_text(const std::string& t, bool quoted) {
  if (quoted) {
    if (t == "None") return ArgValue::make_none();
    if (t == "True") return ArgValue::make_bool(true);
    if (t == "False") return ArgValue::make_bool(false);
    return ArgValue::make_string(t);
  }
  if (t == "None" || t == "null" || t == "Null" || t == "NULL" || t == "~" || t.empty()) return ArgValue::make_none();
  if (t == "True" || t == "true" || t == "TRUE") return ArgValue::make_bool(true);
  if (t == "False" || t == "false" || t == "FALSE") return ArgValue::make_bool(false);
  char* end = nullptr;
  long long iv = std::strtoll(t.c_str(), &end, 10);
  if (end && *end == '\0') return ArgValue::make_int(iv);
  double dv = std::strtod(t.c_str(), &end);
  if (end && *end == '\0' && std::isfinite(dv)) return ArgValue::make_real(dv);
  return ArgValue::make_string(t);
}

// ---- YAML --------------------------------------------------------------------------------------

std::string where(const std::string& path, const YAML::Node& n) {
  return "model config '" + path + "' (line " + std::to_string(n.Mark().line + 1) + ")";
}

ArgValue yaml_arg(const std::string& path, const YAML::Node& n) {
  if (n.IsSequence()) {
    std::vector<ArgValue> items;
    for (const auto& c : n) items.push_back(yaml_arg(path, c));
    return ArgValue::make_list(std::move(items));
  }
  YE_CHECK(n.IsScalar() || n.IsNull(), where(path, n), ": layer args must be scalars or lists");
  if (n.IsNull()) return ArgValue::make_none();
  return literal_from_text(n.Scalar(), n.Tag() == "!");
}

int yaml_int(const std::string& path, const YAML::Node& n, const char* what) {
  YE_CHECK(n.IsScalar(), where(path, n), ": ", what, " must be an integer");
  ArgValue v = literal_from_text(n.Scalar(), false);
  YE_CHECK(v.kind == ArgValue::Kind::integer, where(path, n), ": ", what, " must be an integer, got '", n.Scalar(), "'");
  return int(v.i);
}

double yaml_number(const std::string& path, const YAML::Node& n, const char* what) {
  YE_CHECK(n.IsScalar(), where(path, n), ": ", what, " must be a number");
  ArgValue v = literal_from_text(n.Scalar(), false);
  YE_CHECK(v.is_number(), where(path, n), ": ", what, " must be a number, got '", n.Scalar(), "'");
  return v.number();
}

RawLayer yaml_layer(const std::string& path, const YAML::Node& row, const char* section, size_t k) {
  std::string ctx = where(path, row) + ", " + section + " row " + std::to_string(k);
  YE_CHECK(row.IsSequence() && row.size() == 4, ctx, ": a layer row must be [from, repeats, module, args]");
  RawLayer l;
  l.line = row.Mark().line + 1;
  const YAML::Node& f = row[0];
  if (f.IsSequence()) {
    YE_CHECK(f.size() > 0, ctx, ": 'from' list is empty");
    for (const auto& x : f) l.from.push_back(yaml_int(path, x, "'from' entry"));
  } else {
    l.from.push_back(yaml_int(path, f, "'from'"));
  }
  l.repeats = yaml_int(path, row[1], "repeats");
  YE_CHECK(row[2].IsScalar(), ctx, ": module must be a name");
  l.module = row[2].Scalar();
  YE_CHECK(row[3].IsSequence(), ctx, ": args must be a list");
  for (const auto& a : row[3]) l.args.push_back(yaml_arg(path, a));
  return l;
}

// ---- TOML --------------------------------------------------------------------------------------

std::string where(const std::string& path, const toml::node& n) {
  return "model config '" + path + "' (line " + std::to_string(n.source().begin.line) + ")";
}

ArgValue toml_arg(const std::string& path, const toml::node& n) {
  if (auto* a = n.as_array()) {
    std::vector<ArgValue> items;
    for (const auto& c : *a) items.push_back(toml_arg(path, c));
    return ArgValue::make_list(std::move(items));
  }
  if (auto v = n.value_exact<bool>()) return ArgValue::make_bool(*v);
  if (auto v = n.value_exact<int64_t>()) return ArgValue::make_int(*v);
  if (auto v = n.value_exact<double>()) return ArgValue::make_real(*v);
  if (auto v = n.value_exact<std::string>()) return literal_from_text(*v, true);
  YE_FAIL(where(path, n), ": layer args must be booleans, numbers, strings or arrays");
}

int toml_int(const std::string& path, const toml::node& n, const char* what) {
  auto v = n.value_exact<int64_t>();
  YE_CHECK(v.has_value(), where(path, n), ": ", what, " must be an integer");
  return int(*v);
}

double toml_number(const std::string& path, const toml::node& n, const char* what) {
  if (auto v = n.value_exact<int64_t>()) return double(*v);
  auto v = n.value_exact<double>();
  YE_CHECK(v.has_value(), where(path, n), ": ", what, " must be a number");
  return *v;
}

const toml::node& toml_required(const std::string& path, const toml::table& t, const char* key, const char* ctx) {
  const toml::node* n = t.get(key);
  YE_CHECK(n != nullptr, where(path, t), ": ", ctx, " is missing the key '", key, "'");
  return *n;
}

RawLayer toml_layer(const std::string& path, const toml::node& node, const char* section, size_t k) {
  std::string ctx = std::string(section) + " row " + std::to_string(k);
  const toml::table* t = node.as_table();
  YE_CHECK(t != nullptr, where(path, node), ": ", ctx, " must be a table {from, repeats, module, args}");
  for (const auto& [key, v] : *t) {
    std::string_view kk = key.str();
    YE_CHECK(kk == "from" || kk == "repeats" || kk == "module" || kk == "args", where(path, v), ": ", ctx,
             " has an unknown key '", kk, "' (expected from, repeats, module, args)");
  }
  RawLayer l;
  l.line = int(node.source().begin.line);
  const toml::node& f = toml_required(path, *t, "from", ctx.c_str());
  if (auto* a = f.as_array()) {
    YE_CHECK(!a->empty(), where(path, f), ": ", ctx, ": 'from' list is empty");
    for (const auto& x : *a) l.from.push_back(toml_int(path, x, "'from' entry"));
  } else {
    l.from.push_back(toml_int(path, f, "'from'"));
  }
  l.repeats = toml_int(path, toml_required(path, *t, "repeats", ctx.c_str()), "repeats");
  auto m = toml_required(path, *t, "module", ctx.c_str()).value_exact<std::string>();
  YE_CHECK(m.has_value(), where(path, node), ": ", ctx, ": module must be a string");
  l.module = *m;
  const toml::node& args = toml_required(path, *t, "args", ctx.c_str());
  const toml::array* aa = args.as_array();
  YE_CHECK(aa != nullptr, where(path, args), ": ", ctx, ": args must be an array");
  for (const auto& a : *aa) l.args.push_back(toml_arg(path, a));
  return l;
}

}  // namespace

RawModelConfig parse_model_yaml(const std::string& path) {
  YE_CHECK(std::filesystem::is_regular_file(path), "model config '", path, "' does not exist");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    YE_FAIL("model config '", path, "' is not valid YAML: ", e.what());
  }
  YE_CHECK(root.IsMap(), "model config '", path, "' must be a YAML mapping with nc, scales, backbone, head");
  RawModelConfig cfg;
  cfg.path = path;
  if (root["nc"]) cfg.nc = yaml_int(path, root["nc"], "nc");
  if (const YAML::Node s = root["scales"]) {
    YE_CHECK(s.IsMap(), where(path, s), ": scales must be a mapping of scale -> [depth, width, max_channels]");
    for (const auto& kv : s) {
      std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      YE_CHECK(v.IsSequence() && v.size() == 3, where(path, v), ": scale '", key,
               "' must be [depth, width, max_channels]");
      ScaleSpec sc{yaml_number(path, v[0], "depth"), yaml_number(path, v[1], "width"),
                   int(yaml_number(path, v[2], "max_channels"))};
      cfg.scales.emplace_back(key, sc);
    }
  }
  if (root["depth_multiple"]) cfg.no_scale.depth = yaml_number(path, root["depth_multiple"], "depth_multiple");
  if (root["width_multiple"]) cfg.no_scale.width = yaml_number(path, root["width_multiple"], "width_multiple");
  for (const char* section : {"backbone", "head"}) {
    const YAML::Node rows = root[section];
    YE_CHECK(rows && rows.IsSequence(), "model config '", path, "' has no '", section, "' list of layer rows");
    size_t k = 0;
    for (const auto& row : rows) cfg.layers.push_back(yaml_layer(path, row, section, k++));
  }
  return cfg;
}

RawModelConfig parse_model_toml(const std::string& path) {
  YE_CHECK(std::filesystem::is_regular_file(path), "model config '", path, "' does not exist");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    YE_FAIL("model config '", path, "' is not valid TOML (line ", e.source().begin.line, "): ", e.description());
  }
  RawModelConfig cfg;
  cfg.path = path;
  for (const auto& [key, v] : root) {
    std::string_view k = key.str();
    YE_CHECK(k == "nc" || k == "scales" || k == "backbone" || k == "head" || k == "depth_multiple" ||
                 k == "width_multiple",
             where(path, v), ": unknown key '", k, "' (expected nc, scales, backbone, head)");
  }
  if (const toml::node* nc = root.get("nc")) cfg.nc = toml_int(path, *nc, "nc");
  if (const toml::node* s = root.get("scales")) {
    const toml::array* a = s->as_array();
    YE_CHECK(a != nullptr, where(path, *s), ": scales must be an array of {scale, depth, width, max_channels}");
    for (const auto& e : *a) {
      const toml::table* t = e.as_table();
      YE_CHECK(t != nullptr, where(path, e), ": each scale must be {scale, depth, width, max_channels}");
      auto name = toml_required(path, *t, "scale", "a scale entry").value_exact<std::string>();
      YE_CHECK(name.has_value(), where(path, e), ": 'scale' must be a string such as \"n\"");
      ScaleSpec sc{toml_number(path, toml_required(path, *t, "depth", "a scale entry"), "depth"),
                   toml_number(path, toml_required(path, *t, "width", "a scale entry"), "width"),
                   toml_int(path, toml_required(path, *t, "max_channels", "a scale entry"), "max_channels")};
      cfg.scales.emplace_back(*name, sc);
    }
  }
  if (const toml::node* d = root.get("depth_multiple")) cfg.no_scale.depth = toml_number(path, *d, "depth_multiple");
  if (const toml::node* w = root.get("width_multiple")) cfg.no_scale.width = toml_number(path, *w, "width_multiple");
  for (const char* section : {"backbone", "head"}) {
    const toml::array* rows = root.get_as<toml::array>(section);
    YE_CHECK(rows != nullptr, "model config '", path, "' has no '", section, "' array of layer rows");
    size_t k = 0;
    for (const auto& row : *rows) cfg.layers.push_back(toml_layer(path, row, section, k++));
  }
  return cfg;
}

RawModelConfig parse_model_config(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".toml") return parse_model_toml(path);
  if (ext == ".yaml" || ext == ".yml") return parse_model_yaml(path);
  YE_FAIL("model config '", path, "': unknown extension '", ext, "' (expected .toml, .yaml or .yml)");
}

}  // namespace ye::yolo
