// Command-line parsing, defaults loading (from the embedded configs/default.toml), help text and
// args.yaml of the training settings; see train_args.h. One table (arg_table.cpp) drives all four.
#include "yolo/config/train_args.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <toml++/toml.h>

#include "kernels/error.h"
#include "yolo/config/arg_table.h"
#include "yolo/config/py_format.h"

namespace ye::yolo {
using detail::ArgSpec;

namespace {

struct Alias {
  std::string_view name, key;
};
// Names users bring from other trainers (YOLOv5-style flags) mapped to canonical keys.
constexpr Alias kAliases[] = {
    {"cfg", "model"}, {"weights", "pretrained"}, {"img", "imgsz"}, {"img_size", "imgsz"},
    {"batch_size", "batch"},
};

std::string normalise_key(std::string_view key) {
  std::string k(key);
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest_key(std::string_view key) {
  std::string best;
  size_t best_d = SIZE_MAX;
  auto consider = [&](std::string_view cand) {
    size_t d = edit_distance(key, cand);
    if (d < best_d) best_d = d, best = std::string(cand);
  };
  for (const auto& s : detail::arg_specs()) consider(s.key);
  for (const auto& a : kAliases) consider(a.name);
  return best;
}

// Resolves a user-typed name (alias, dashes) to its spec; throws naming the nearest valid key.
const ArgSpec& resolve(std::string_view typed, std::string_view shown) {
  std::string k = normalise_key(typed);
  std::string_view canon = k;
  for (const auto& a : kAliases)
    if (a.name == k) canon = a.key;
  if (const ArgSpec* s = detail::find_spec(canon)) return *s;
  throw Error("unknown argument '" + std::string(shown) + "' (did you mean '--" + nearest_key(k) +
              "'?); see `yolo train --help`");
}

bool is_bool_literal(std::string_view t) {
  std::string l(t);
  for (auto& c : l) c = char(std::tolower((unsigned char)c));
  return l == "true" || l == "false" || l == "1" || l == "0" || l == "yes" || l == "no";
}

// Descriptions come from the trailing comments of configs/default.toml (key = value # text).
std::map<std::string, std::string, std::less<>> toml_comments() {
  std::map<std::string, std::string, std::less<>> out;
  std::istringstream in{std::string(default_config_toml())};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find(" = ");
    size_t hash = line.rfind(" # ");
    if (eq == std::string::npos || hash == std::string::npos || hash < eq) continue;
    out[line.substr(0, eq)] = line.substr(hash + 3);
  }
  return out;
}

std::string toml_value_text(const toml::node& node) {
  if (auto b = node.value<bool>(); node.is_boolean()) return *b ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<int64_t>());
  if (node.is_floating_point()) return py_float_repr(*node.value<double>());
  if (node.is_string()) return *node.value<std::string>();
  throw Error("configs/default.toml: unsupported value type");
}

}  // namespace

Precision TrainArgs::resolved_precision() const {
  if (precision == "fp32") return Precision::fp32;
  if (precision == "tf32") return Precision::tf32;
  if (precision == "fp16") return Precision::fp16;
  if (precision == "bf16") return Precision::bf16;
  return amp ? Precision::fp16 : Precision::fp32;
}

std::string TrainArgs::cache_mode() const {
  if (cache.is_text()) return cache.text;
  return cache.flag ? "ram" : "";
}

TrainArgs default_train_args() {
  toml::table table;
  try {
    table = toml::parse(default_config_toml(), std::string_view{"configs/default.toml"});
  } catch (const toml::parse_error& e) {
    throw Error(std::string("configs/default.toml: ") + std::string(e.description()));
  }
  TrainArgs args;
  for (const auto& spec : detail::arg_specs()) {
    const toml::node* node = table.get(spec.key);
    YE_CHECK(node, "configs/default.toml: missing key '", spec.key, "'");
    try {
      detail::assign(args, spec, toml_value_text(*node));
    } catch (const Error& e) {
      throw Error(std::string("configs/default.toml: ") + e.what());
    }
  }
  for (const auto& [k, v] : table)
    YE_CHECK(detail::find_spec(k.str()), "configs/default.toml: key '", k.str(), "' has no TrainArgs field");
  return args;
}

void set_train_arg(TrainArgs& args, std::string_view key, std::string_view value) {
  const ArgSpec& spec = resolve(key, key);
  detail::assign(args, spec, value);
}

void set_train_arg_exact(TrainArgs& args, std::string_view key, std::string_view value) {
  const ArgSpec* spec = detail::find_spec(key);
  if (!spec) throw Error("unknown setting '" + std::string(key) + "' (did you mean '--" + nearest_key(key) + "'?)");
  detail::assign(args, *spec, value);
}

ParsedTrainArgs parse_train_args(const std::vector<std::string>& argv) {
  ParsedTrainArgs out{default_train_args(), false, {}};
  auto record = [&](const ArgSpec& s) {
    auto& ks = out.explicit_keys;
    if (std::find(ks.begin(), ks.end(), s.key) == ks.end()) ks.emplace_back(s.key);
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& tok = argv[i];
    if (tok == "-h" || tok == "--help" || tok == "help") {
      out.help = true;
      continue;
    }
    size_t eq = tok.find('=');
    if (tok.rfind("--", 0) == 0) {
      std::string body = tok.substr(2);
      if (eq != std::string::npos) {
        const ArgSpec& s = resolve(body.substr(0, eq - 2), tok.substr(0, eq));
        detail::assign(out.args, s, body.substr(eq - 1));
        record(s);
        continue;
      }
      const ArgSpec& s = resolve(body, tok);
      bool has_next = i + 1 < argv.size();
      const std::string next = has_next ? argv[i + 1] : std::string();
      bool alias_with_value = normalise_key(body) == "weights";
      if (!alias_with_value && detail::is_bool(s)) {
        bool take = has_next && is_bool_literal(next);
        detail::assign(out.args, s, take ? next : "true");
        i += take;
      } else if (!alias_with_value && detail::is_flag_like(s)) {
        bool take = has_next && (next.empty() || (next[0] != '-' && next.find('=') == std::string::npos));
        detail::assign(out.args, s, take ? next : "true");
        i += take;
      } else {
        if (!has_next) throw Error("argument " + tok + " needs a value (" + std::string(detail::type_name(s)) + ")");
        detail::assign(out.args, s, next);
        ++i;
      }
      record(s);
    } else if (eq != std::string::npos && eq > 0 && tok[0] != '-') {
      const ArgSpec& s = resolve(tok.substr(0, eq), tok.substr(0, eq));
      detail::assign(out.args, s, tok.substr(eq + 1));
      record(s);
    } else if (const ArgSpec* s = detail::find_spec(normalise_key(tok)); s && tok[0] != '-' && detail::is_flag_like(*s)) {
      detail::assign(out.args, *s, "true");  // the reference's bare boolean word: `yolo train resume`
      record(*s);
    } else {
      std::string msg = "unexpected argument '" + tok + "'; arguments look like --key value or key=value";
      if (tok.size() > 1 && tok[0] == '-' && tok[1] != '-') msg += " (did you mean '--" + nearest_key(normalise_key(tok.substr(1))) + "'?)";
      throw Error(msg);
    }
  }
  if (out.args.batch == 0) throw Error("argument --batch must be positive (or -1 for AutoBatch), got 0");
  if (out.args.epochs < 0) throw Error("argument --epochs must be >= 0, got " + std::to_string(out.args.epochs));
  if (out.args.imgsz <= 0) throw Error("argument --imgsz must be positive, got " + std::to_string(out.args.imgsz));
  if (out.args.accumulate < 0) throw Error("argument --accumulate must be >= 0 (0 = auto)");
  return out;
}

ParsedTrainArgs parse_train_args(int argc, const char* const* argv) {
  return parse_train_args(std::vector<std::string>(argv, argv + argc));
}

const std::vector<std::string>& train_arg_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& s : detail::arg_specs()) k.emplace_back(s.key);
    return k;
  }();
  return keys;
}

std::string train_arg_yaml_value(const TrainArgs& args, std::string_view key) {
  const ArgSpec* s = detail::find_spec(normalise_key(key));
  YE_CHECK(s, "unknown settings key '", key, "'");
  return detail::yaml_value(args, *s);
}

std::string train_help_text() {
  TrainArgs defaults = default_train_args();
  auto comments = toml_comments();
  std::string out =
      "usage: yolo train [--key value | --key=value | key=value]...\n"
      "  Booleans: --amp, --amp false, amp=False. Dashes and underscores are interchangeable.\n"
      "  Aliases: --cfg FILE (= --model), --weights FILE (= --pretrained; '' trains from scratch),\n"
      "           --img/--img-size (= --imgsz), --batch-size (= --batch).\n"
      "  Example: yolo train --data coco.yaml --cfg yolov8s.yaml --weights '' --batch 64 --amp\n\n"
      "arguments (default in brackets):\n";
  for (const auto& s : detail::arg_specs()) {
    std::string head = "  --" + std::string(s.key) + " " + std::string(detail::type_name(s));
    std::string def = detail::yaml_value(defaults, s);
    if (!def.empty() && def[0] == '\n') def = "[]";
    head += std::string(head.size() < 34 ? 34 - head.size() : 1, ' ') + "[" + def + "]";
    auto it = comments.find(s.key);
    if (it != comments.end()) head += "  " + it->second;
    if (!s.choices.empty() && s.choices.size() > 1) {
      std::string list;
      for (auto c : s.choices) {
        if (!list.empty()) list += '|';
        list += c;
      }
      if (it == comments.end() || it->second.find(std::string(s.choices[0])) == std::string::npos) head += " {" + list + "}";
    }
    out += head + "\n";
  }
  return out;
}

std::string to_yaml(const TrainArgs& args, const std::string& save_dir) {
  std::string out, engine;
  for (const auto& s : detail::arg_specs()) {
    std::string v = detail::yaml_value(args, s);
    std::string line = std::string(s.key) + ":" + (v.empty() || v[0] == '\n' ? "" : " ") + v + "\n";
    (s.engine_only ? engine : out) += line;
  }
  out += "save_dir: " + yaml_string(save_dir) + "\n";
  return out + engine;
}

}  // namespace ye::yolo
