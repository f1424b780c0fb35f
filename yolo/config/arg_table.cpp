// The settings table of TrainArgs (key, field, checks) and the per-type text conversions used by
// the command-line parser and the defaults loader; formatting follows PyYAML for args.yaml.
#include "yolo/config/arg_table.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "kernels/error.h"
#include "yolo/config/py_format.h"

namespace ye::yolo::detail {
namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = char(std::tolower((unsigned char)c));
  return r;
}

std::string strip_quotes(std::string_view s) {
  if (s.size() >= 2 && ((s.front() == '\'' && s.back() == '\'') || (s.front() == '"' && s.back() == '"')))
    s = s.substr(1, s.size() - 2);
  return std::string(s);
}

[[noreturn]] void bad_value(const ArgSpec& spec, std::string_view text, std::string_view expected) {
  throw Error("argument --" + std::string(spec.key) + " expects " + std::string(expected) + ", got '" +
              std::string(text) + "'");
}

bool is_none(std::string_view t) {
  std::string l = lower(t);
  return l.empty() || l == "none" || l == "null" || l == "~";
}

std::optional<bool> parse_bool(std::string_view t) {
  std::string l = lower(t);
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view t) {
  if (!t.empty() && t[0] == '+') t.remove_prefix(1);
  int64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view t) {
  std::string s(t);
  if (s.empty() || std::isspace((unsigned char)s[0])) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;  // nan / inf are never a setting
  return v;
}

IntOrList parse_int_list(const ArgSpec& spec, std::string_view t) {
  IntOrList out;
  if (is_none(t)) return out;
  std::string s(t);
  if (s.front() == '[' || s.find(',') != std::string::npos) {
    out.is_list = true;
    if (s.front() == '[') {
      if (s.back() != ']') bad_value(spec, t, "an integer or a list like [0, 1, 2]");
      s = s.substr(1, s.size() - 2);
    }
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (!item.empty()) {
        auto v = parse_int(item);
        if (!v) bad_value(spec, t, "an integer or a list like [0, 1, 2]");
        out.values.push_back(*v);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }
  auto v = parse_int(s);
  if (!v) bad_value(spec, t, "an integer or a list like [0, 1, 2]");
  out.values.push_back(*v);
  return out;
}

void check_choice(const ArgSpec& spec, std::string_view text) {
  if (spec.choices.empty()) return;
  for (auto c : spec.choices)
    if (lower(c) == lower(text)) return;
  std::string list;
  for (auto c : spec.choices) {
    if (!list.empty()) list += ", ";
    list += c;
  }
  bad_value(spec, text, "one of " + list);
}

std::string canonical_choice(const ArgSpec& spec, std::string_view text) {
  for (auto c : spec.choices)
    if (lower(c) == lower(text)) return std::string(c);
  return std::string(text);
}

#define YE_ARG(name, ...) ArgSpec{#name, &TrainArgs::name, __VA_ARGS__}
const std::vector<ArgSpec> kSpecs = {
    YE_ARG(task, false, false, false, {"detect"}),
    YE_ARG(mode, false, false, false, {"train", "val", "predict"}),
    YE_ARG(model, true), YE_ARG(data, true), YE_ARG(epochs), YE_ARG(time), YE_ARG(patience),
    YE_ARG(batch), YE_ARG(imgsz), YE_ARG(save), YE_ARG(save_period), YE_ARG(cache),
    YE_ARG(device, true), YE_ARG(workers), YE_ARG(project, true), YE_ARG(name, true),
    YE_ARG(exist_ok), YE_ARG(pretrained),
    YE_ARG(optimizer, false, false, false, {"SGD", "Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSProp", "auto"}),
    YE_ARG(verbose), YE_ARG(seed), YE_ARG(deterministic), YE_ARG(single_cls), YE_ARG(rect),
    YE_ARG(cos_lr), YE_ARG(close_mosaic), YE_ARG(resume), YE_ARG(amp), YE_ARG(fraction, false, true),
    YE_ARG(profile), YE_ARG(freeze), YE_ARG(multi_scale), YE_ARG(overlap_mask), YE_ARG(mask_ratio),
    YE_ARG(dropout, false, true), YE_ARG(val), YE_ARG(split, false, false, false, {"val", "test", "train"}),
    YE_ARG(save_json), YE_ARG(conf, false, true), YE_ARG(iou, false, true), YE_ARG(max_det),
    YE_ARG(half), YE_ARG(dnn), YE_ARG(plots), YE_ARG(source, true), YE_ARG(vid_stride),
    YE_ARG(stream_buffer), YE_ARG(visualize), YE_ARG(augment), YE_ARG(agnostic_nms), YE_ARG(classes),
    YE_ARG(retina_masks), YE_ARG(embed), YE_ARG(show), YE_ARG(save_frames), YE_ARG(save_txt),
    YE_ARG(save_conf), YE_ARG(save_crop), YE_ARG(show_labels), YE_ARG(show_conf), YE_ARG(show_boxes),
    YE_ARG(line_width), YE_ARG(format), YE_ARG(keras), YE_ARG(optimize), YE_ARG(int8), YE_ARG(dynamic),
    YE_ARG(simplify), YE_ARG(opset), YE_ARG(workspace), YE_ARG(nms),
    YE_ARG(lr0, false, true), YE_ARG(lrf, false, true), YE_ARG(momentum, false, true),
    YE_ARG(weight_decay, false, true), YE_ARG(warmup_epochs), YE_ARG(warmup_momentum, false, true),
    YE_ARG(warmup_bias_lr, false, true), YE_ARG(box), YE_ARG(cls), YE_ARG(dfl), YE_ARG(pose),
    YE_ARG(kobj), YE_ARG(nbs), YE_ARG(hsv_h, false, true), YE_ARG(hsv_s, false, true),
    YE_ARG(hsv_v, false, true), YE_ARG(degrees), YE_ARG(translate, false, true),
    YE_ARG(scale, false, true), YE_ARG(shear), YE_ARG(perspective, false, true),
    YE_ARG(flipud, false, true), YE_ARG(fliplr, false, true), YE_ARG(bgr, false, true),
    YE_ARG(mosaic, false, true), YE_ARG(mixup, false, true), YE_ARG(cutmix, false, true),
    YE_ARG(copy_paste, false, true), YE_ARG(copy_paste_mode, false, false, false, {"flip", "mixup"}),
    YE_ARG(auto_augment), YE_ARG(erasing), YE_ARG(cfg, true), YE_ARG(tracker),
    YE_ARG(precision, false, false, true, {"auto", "fp32", "tf32", "fp16", "bf16"}),
    YE_ARG(accumulate, false, false, true), YE_ARG(max_grad_norm, false, false, true),
    YE_ARG(sync_bn, false, false, true), YE_ARG(tensorboard, false, false, true), YE_ARG(world, false, false, true),
};
#undef YE_ARG

}  // namespace

const std::vector<ArgSpec>& arg_specs() { return kSpecs; }

const ArgSpec* find_spec(std::string_view key) {
  for (const auto& s : kSpecs)
    if (s.key == key) return &s;
  return nullptr;
}

bool is_bool(const ArgSpec& spec) { return std::holds_alternative<bool TrainArgs::*>(spec.member); }

bool is_flag_like(const ArgSpec& spec) {
  return is_bool(spec) || std::holds_alternative<BoolOrText TrainArgs::*>(spec.member);
}

std::string_view type_name(const ArgSpec& spec) {
  if (!spec.choices.empty()) return "CHOICE";
  return std::visit(
      [](auto m) -> std::string_view {
        using T = std::remove_cvref_t<decltype(TrainArgs{}.*m)>;
        if constexpr (std::is_same_v<T, bool>) return "BOOL";
        else if constexpr (std::is_same_v<T, int64_t>) return "INT";
        else if constexpr (std::is_same_v<T, double>) return "FLOAT";
        else if constexpr (std::is_same_v<T, std::string>) return "TEXT";
        else if constexpr (std::is_same_v<T, std::optional<double>>) return "FLOAT";
        else if constexpr (std::is_same_v<T, std::optional<int64_t>>) return "INT";
        else if constexpr (std::is_same_v<T, BoolOrText>) return "BOOL|TEXT";
        else return "INT|LIST";
      },
      spec.member);
}

void assign(TrainArgs& args, const ArgSpec& spec, std::string_view raw) {
  std::string text = strip_quotes(raw);
  std::visit(
      [&](auto m) {
        using T = std::remove_cvref_t<decltype(args.*m)>;
        if constexpr (std::is_same_v<T, bool>) {
          auto v = parse_bool(text);
          if (!v) bad_value(spec, raw, "true or false");
          args.*m = *v;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          auto v = parse_int(text);
          if (!v) bad_value(spec, raw, "an integer");
          args.*m = *v;
        } else if constexpr (std::is_same_v<T, double>) {
          auto v = parse_double(text);
          if (!v) bad_value(spec, raw, "a number");
          if (spec.fraction && !(*v >= 0.0 && *v <= 1.0)) bad_value(spec, raw, "a number between 0.0 and 1.0");
          args.*m = *v;
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (spec.nullable && is_none(text)) { args.*m = ""; return; }
          check_choice(spec, text);
          args.*m = canonical_choice(spec, text);
        } else if constexpr (std::is_same_v<T, std::optional<double>>) {
          if (is_none(text)) { args.*m = std::nullopt; return; }
          auto v = parse_double(text);
          if (!v) bad_value(spec, raw, "a number or None");
          if (spec.fraction && !(*v >= 0.0 && *v <= 1.0)) bad_value(spec, raw, "a number between 0.0 and 1.0");
          args.*m = *v;
        } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
          if (is_none(text)) { args.*m = std::nullopt; return; }
          auto v = parse_int(text);
          if (!v) bad_value(spec, raw, "an integer or None");
          args.*m = *v;
        } else if constexpr (std::is_same_v<T, BoolOrText>) {
          BoolOrText v;
          if (auto b = parse_bool(text)) v.flag = *b;
          else if (!is_none(text)) v.text = text;
          if (spec.key == "cache" && v.is_text()) {
            v.text = lower(v.text);
            if (v.text != "ram" && v.text != "disk") bad_value(spec, raw, "true, false, ram or disk");
          }
          args.*m = v;
        } else {
          args.*m = parse_int_list(spec, text);
        }
      },
      spec.member);
}

std::string yaml_value(const TrainArgs& args, const ArgSpec& spec) {
  return std::visit(
      [&](auto m) -> std::string {
        using T = std::remove_cvref_t<decltype(args.*m)>;
        const T& v = args.*m;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>) return yaml_float(v);
        else if constexpr (std::is_same_v<T, std::string>) {
          if (v.empty() && spec.nullable) return "null";
          bool digits = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit((unsigned char)c); });
          if (spec.key == "device" && digits) return v;  // the reference stores device=0 as an int
          return yaml_string(v);
        } else if constexpr (std::is_same_v<T, std::optional<double>>) return v ? yaml_float(*v) : "null";
        else if constexpr (std::is_same_v<T, std::optional<int64_t>>) return v ? std::to_string(*v) : "null";
        else if constexpr (std::is_same_v<T, BoolOrText>) return v.is_text() ? yaml_string(v.text) : (v.flag ? "true" : "false");
        else {
          if (!v.is_set()) return "null";
          if (!v.is_list) return std::to_string(v.values[0]);
          if (v.values.empty()) return "[]";
          std::string s;
          for (auto x : v.values) s += "\n- " + std::to_string(x);
          return s;
        }
      },
      spec.member);
}

}  // namespace ye::yolo::detail
