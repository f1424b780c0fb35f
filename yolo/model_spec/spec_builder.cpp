// Turns a RawModelConfig into a ModelSpec with the reference's parse rules (REFERENCE.md 1.1):
// scale selection, repeats max(round(n*depth), 1), make_divisible channel rounding capped at
// max_channels, repeat-count insertion, the C3k2 c3k override for m/l/x, Concat/Detect channels.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "kernels/error.h"
#include "yolo/model_spec/model_spec.h"

namespace ye::yolo {
namespace {

struct ModuleInfo {
  const char* name;  // as written in configs
  ModuleKind kind;
  bool base;         // c1/c2 resolution applies
  bool repeat;       // repeats become the module's n argument
};

constexpr ModuleInfo kModules[] = {
    {"Conv", ModuleKind::Conv, true, false},       {"DWConv", ModuleKind::DWConv, true, false},
    {"Bottleneck", ModuleKind::Bottleneck, true, false}, {"C2f", ModuleKind::C2f, true, true},
    {"C3k2", ModuleKind::C3k2, true, true},        {"SPPF", ModuleKind::SPPF, true, false},
    {"C2PSA", ModuleKind::C2PSA, true, true},      {"nn.Upsample", ModuleKind::Upsample, false, false},
    {"Concat", ModuleKind::Concat, false, false},  {"Detect", ModuleKind::Detect, false, false},
};

const ModuleInfo& module_info(const std::string& ctx, const std::string& name) {
  for (const auto& m : kModules)
    if (name == m.name) return m;
  std::string known;
  for (const auto& m : kModules) known += std::string(known.empty() ? "" : ", ") + m.name;
  YE_FAIL(ctx, ": module '", name, "' is not supported (supported: ", known, ")");
}

// Bounds past which a config is corrupt rather than a model (checked before anything is sized).
constexpr int kMaxChannels = 1 << 16;  // per layer
constexpr int kMaxRepeats = 1000;
constexpr int kMaxClasses = 100000;    // as the dataset reader's limit
constexpr int64_t kMaxArgInt = 1 << 20;  // no layer argument is larger (channels are capped far below)
constexpr int kMaxKernel = 31, kMaxStride = 32, kMaxDilation = 16, kMaxGroups = 4096;

// Python round() on a double: ties to even (nearbyint in the default rounding mode).

int py_round_int(double x) { return int(std::nearbyint(x)); }

int make_divisible(double x, int divisor) { return int(std::ceil(x / divisor)) * divisor; }

// The i-th constructor argument (after c1, c2[, n]) or its default.
const ArgValue* arg_at(const std::vector<ArgValue>& a, size_t i) { return i < a.size() ? &a[i] : nullptr; }

int int_arg(const std::string& ctx, const std::vector<ArgValue>& a, size_t i, int def, const char* what) {
  const ArgValue* v = arg_at(a, i);
  if (!v || v->kind == ArgValue::Kind::none) return def;
  YE_CHECK(v->kind == ArgValue::Kind::integer, ctx, ": argument ", what, " must be an integer, got ", python_str(*v));
  YE_CHECK(v->i >= -kMaxArgInt && v->i <= kMaxArgInt, ctx, ": argument ", what, " = ", v->i, " is out of range");
  return int(v->i);
}

// An integer argument that must lie in [lo, hi] (kernel sizes, strides, groups: a zero divides by zero).
int int_arg_in(const std::string& ctx, const std::vector<ArgValue>& a, size_t i, int def, const char* what, int lo,
               int hi) {
  const int v = int_arg(ctx, a, i, def, what);
  YE_CHECK(v >= lo && v <= hi, ctx, ": argument ", what, " = ", v, " must lie in [", lo, ", ", hi, "]");
  return v;
}

bool bool_arg(const std::string& ctx, const std::vector<ArgValue>& a, size_t i, bool def, const char* what) {
  const ArgValue* v = arg_at(a, i);
  if (!v) return def;
  if (v->kind == ArgValue::Kind::integer) return v->i != 0;
  YE_CHECK(v->kind == ArgValue::Kind::boolean, ctx, ": argument ", what, " must be True or False, got ", python_str(*v));
  return v->b;
}

double real_arg(const std::string& ctx, const std::vector<ArgValue>& a, size_t i, double def, const char* what) {
  const ArgValue* v = arg_at(a, i);
  if (!v) return def;
  YE_CHECK(v->is_number(), ctx, ": argument ", what, " must be a number, got ", python_str(*v));
  return v->number();
}

void check_arg_count(const std::string& ctx, const std::vector<ArgValue>& a, size_t max, const char* signature) {
  YE_CHECK(a.size() <= max, ctx, ": too many arguments ", python_str(a), " for ", signature);
}

// The expansion ratio e: positive and finite, and it must leave at least one hidden channel of c2.
double ratio_arg(const std::string& ctx, const std::vector<ArgValue>& a, size_t i, double def, int c2) {
  const double e = real_arg(ctx, a, i, def, "e");
  YE_CHECK(std::isfinite(e) && e > 0 && e <= 64, ctx, ": argument e = ", e, " must be a positive ratio (at most 64)");
  YE_CHECK(int(c2 * e) >= 1, ctx, ": argument e = ", e, " leaves no hidden channels of ", c2);
  return e;
}

void check_groups(const std::string& ctx, int groups, std::initializer_list<int> channels) {
  for (int c : channels)
    YE_CHECK(c % groups == 0, ctx, ": ", c, " channels are not divisible into ", groups, " groups");
}

// Fills the kind-specific fields from the resolved constructor args (c1, c2, ...).
void interpret_args(const std::string& ctx, LayerSpec& l) {
  const auto& a = l.args;
  switch (l.kind) {
    case ModuleKind::Conv:
      check_arg_count(ctx, a, 8, "Conv(c1, c2, k, s, p, g, d, act)");
      l.kernel = int_arg_in(ctx, a, 2, 1, "k", 1, kMaxKernel);
      l.stride = int_arg_in(ctx, a, 3, 1, "s", 1, kMaxStride);
      l.groups = int_arg_in(ctx, a, 5, 1, "g", 1, kMaxGroups);
      l.dilation = int_arg_in(ctx, a, 6, 1, "d", 1, kMaxDilation);
      l.padding = int_arg_in(ctx, a, 4, (l.dilation * (l.kernel - 1) + 1) / 2, "p", 0, kMaxKernel * kMaxDilation);
      l.act = bool_arg(ctx, a, 7, true, "act");
      check_groups(ctx, l.groups, {l.c1, l.c2});
      break;
    case ModuleKind::DWConv:
      check_arg_count(ctx, a, 6, "DWConv(c1, c2, k, s, d, act)");
      l.kernel = int_arg_in(ctx, a, 2, 1, "k", 1, kMaxKernel);
      l.stride = int_arg_in(ctx, a, 3, 1, "s", 1, kMaxStride);
      l.dilation = int_arg_in(ctx, a, 4, 1, "d", 1, kMaxDilation);
      l.act = bool_arg(ctx, a, 5, true, "act");
      l.groups = std::gcd(l.c1, l.c2);
      l.padding = (l.dilation * (l.kernel - 1) + 1) / 2;
      break;
    case ModuleKind::Bottleneck:
      check_arg_count(ctx, a, 6, "Bottleneck(c1, c2, shortcut, g, k, e)");
      l.shortcut = bool_arg(ctx, a, 2, true, "shortcut");
      l.groups = int_arg_in(ctx, a, 3, 1, "g", 1, kMaxGroups);
      YE_CHECK(!arg_at(a, 4) || a[4].kind == ArgValue::Kind::none, ctx, ": Bottleneck k is fixed at (3, 3) here");
      l.e = ratio_arg(ctx, a, 5, 0.5, l.c2);
      check_groups(ctx, l.groups, {int(l.c2 * l.e), l.c2});
      l.kernel = 3;
      break;
    case ModuleKind::C2f:
      check_arg_count(ctx, a, 6, "C2f(c1, c2, n, shortcut, g, e)");
      l.n = int_arg_in(ctx, a, 2, 1, "n", 0, kMaxRepeats);
      l.shortcut = bool_arg(ctx, a, 3, false, "shortcut");
      l.groups = int_arg_in(ctx, a, 4, 1, "g", 1, kMaxGroups);
      l.e = ratio_arg(ctx, a, 5, 0.5, l.c2);
      check_groups(ctx, l.groups, {int(l.c2 * l.e)});
      break;
    case ModuleKind::C3k2:
      check_arg_count(ctx, a, 7, "C3k2(c1, c2, n, c3k, e, g, shortcut)");
      l.n = int_arg_in(ctx, a, 2, 1, "n", 0, kMaxRepeats);
      l.c3k = bool_arg(ctx, a, 3, false, "c3k");
      l.e = ratio_arg(ctx, a, 4, 0.5, l.c2);
      l.groups = int_arg_in(ctx, a, 5, 1, "g", 1, kMaxGroups);
      check_groups(ctx, l.groups, {int(l.c2 * l.e), int(int(l.c2 * l.e) * 0.5)});
      l.shortcut = bool_arg(ctx, a, 6, true, "shortcut");
      break;
    case ModuleKind::SPPF:
      check_arg_count(ctx, a, 3, "SPPF(c1, c2, k)");
      l.pool_k = int_arg_in(ctx, a, 2, 5, "k", 1, kMaxKernel);
      break;
    case ModuleKind::C2PSA:
      check_arg_count(ctx, a, 4, "C2PSA(c1, c2, n, e)");
      YE_CHECK(l.c1 == l.c2, ctx, ": C2PSA needs equal input and output channels, got ", l.c1, " and ", l.c2);
      l.n = int_arg_in(ctx, a, 2, 1, "n", 0, kMaxRepeats);
      l.e = ratio_arg(ctx, a, 3, 0.5, l.c1);
      YE_CHECK(int(l.c1 * l.e) >= 64, ctx, ": C2PSA hidden width int(c1*e) = ", int(l.c1 * l.e),
               " gives no attention heads (needs >= 64)");
      break;
    case ModuleKind::Upsample: {
      check_arg_count(ctx, a, 3, "nn.Upsample(size, scale_factor, mode)");
      YE_CHECK(!arg_at(a, 0) || a[0].kind == ArgValue::Kind::none, ctx, ": nn.Upsample size must be None");
      l.scale_factor = real_arg(ctx, a, 1, 0.0, "scale_factor");
      YE_CHECK(l.scale_factor >= 1 && l.scale_factor == std::floor(l.scale_factor), ctx,
               ": nn.Upsample scale_factor must be a positive integer");
      const ArgValue* m = arg_at(a, 2);
      l.mode = m ? m->s : "nearest";
      YE_CHECK(!m || m->kind == ArgValue::Kind::string, ctx, ": nn.Upsample mode must be a string");
      YE_CHECK(l.mode == "nearest", ctx, ": nn.Upsample mode '", l.mode, "' is not supported (only 'nearest')");
      break;
    }
    case ModuleKind::Concat:
      check_arg_count(ctx, a, 1, "Concat(dimension)");
      l.dim = int_arg(ctx, a, 0, 1, "dimension");
      YE_CHECK(l.dim == 1, ctx, ": Concat is supported along dimension 1 (channels) only");
      break;
    case ModuleKind::Detect:
      break;
  }
}

// Output height of every layer for a square input of `size` (conv arithmetic, x2 upsampling).
std::vector<int> output_heights(const ModelSpec& spec, int size) {
  std::vector<int> h;
  for (const LayerSpec& l : spec.layers) {
    int x = l.inputs[0] < 0 ? size : h[l.inputs[0]];
    for (int c = 0; c < l.copies; ++c) {
      if (l.kind == ModuleKind::Conv || l.kind == ModuleKind::DWConv)
        x = (x + 2 * l.padding - l.dilation * (l.kernel - 1) - 1) / l.stride + 1;
      else if (l.kind == ModuleKind::Upsample)
        x *= int(l.scale_factor);
    }
    h.push_back(x);
  }
  return h;
}

}  // namespace

const char* module_kind_name(ModuleKind k) {
  for (const auto& m : kModules)
    if (m.kind == k) return k == ModuleKind::Upsample ? "Upsample" : m.name;
  return "?";
}

const char* module_type_path(ModuleKind k) {
  switch (k) {
    case ModuleKind::Conv: return "ultralytics.nn.modules.conv.Conv";
    case ModuleKind::DWConv: return "ultralytics.nn.modules.conv.DWConv";
    case ModuleKind::Concat: return "ultralytics.nn.modules.conv.Concat";
    case ModuleKind::Bottleneck: return "ultralytics.nn.modules.block.Bottleneck";
    case ModuleKind::C2f: return "ultralytics.nn.modules.block.C2f";
    case ModuleKind::C3k2: return "ultralytics.nn.modules.block.C3k2";
    case ModuleKind::SPPF: return "ultralytics.nn.modules.block.SPPF";
    case ModuleKind::C2PSA: return "ultralytics.nn.modules.block.C2PSA";
    case ModuleKind::Upsample: return "torch.nn.modules.upsampling.Upsample";
    case ModuleKind::Detect: return "ultralytics.nn.modules.head.Detect";
  }
  return "?";
}

ModelSpec build_model_spec(const RawModelConfig& config, const std::string& scale, int nc, const std::string& name) {
  const std::string& path = config.path;
  ModelSpec spec;
  spec.source = path;
  spec.nc = nc > 0 ? nc : config.nc;
  YE_CHECK(spec.nc > 0, "model config '", path, "': nc must be positive, got ", spec.nc);
  if (!config.scales.empty()) {
    spec.scale = scale;
    if (spec.scale.empty()) {
      spec.scale = config.scales.front().first;
      std::fprintf(stderr, "WARNING no model scale passed. Assuming scale='%s'.\n", spec.scale.c_str());
    }
    auto it = std::find_if(config.scales.begin(), config.scales.end(), [&](const auto& s) { return s.first == spec.scale; });
    std::string known;
    for (const auto& s : config.scales) known += std::string(known.empty() ? "" : ", ") + s.first;
    YE_CHECK(it != config.scales.end(), "model config '", path, "' has no scale '", spec.scale, "' (has ", known, ")");
    spec.scale_values = it->second;
  } else {
    spec.scale_values = config.no_scale;
  }
  const double depth = spec.scale_values.depth, width = spec.scale_values.width;
  const int max_ch = spec.scale_values.max_channels > 0 ? spec.scale_values.max_channels : (1 << 30);
  YE_CHECK(std::isfinite(depth) && depth > 0 && depth <= 16 && std::isfinite(width) && width > 0 && width <= 16,
           "model config '", path, "': depth and width multiples must be in (0, 16], got ", depth, " and ", width);
  YE_CHECK(spec.nc <= kMaxClasses, "model config '", path, "': nc ", spec.nc, " is more than ", kMaxClasses);
  YE_CHECK(!config.layers.empty(), "model config '", path, "' has no layers");

  std::vector<int> ch = {spec.in_channels};  // output channels so far; the image before layer 0
  bool legacy = true;
  for (size_t i = 0; i < config.layers.size(); ++i) {
    const RawLayer& r = config.layers[i];
    const std::string ctx = "model config '" + path + "', layer " + std::to_string(i) + " (" + r.module +
                            (r.line ? ", line " + std::to_string(r.line) : "") + ")";
    const ModuleInfo& info = module_info(ctx, r.module);
    LayerSpec l;
    l.index = int(i);
    l.from = r.from;
    l.module = r.module;
    l.kind = info.kind;
    YE_CHECK(r.repeats >= 1 && r.repeats <= kMaxRepeats, ctx, ": repeats must be in [1, ", kMaxRepeats, "], got ",
             r.repeats);
    for (int f : r.from) {
      int abs = f < 0 ? int(i) + f : f;
      if (i == 0) {
        YE_CHECK(f == -1, ctx, ": the first layer must read the image (from = -1)");
        l.inputs.push_back(-1);
        l.c_in.push_back(ch[0]);
        continue;
      }
      YE_CHECK(abs >= 0 && abs < int(i), ctx, ": 'from' index ", f, " does not name an earlier layer");
      l.inputs.push_back(abs);
      l.c_in.push_back(ch[abs]);
    }
    bool multi_input = info.kind == ModuleKind::Concat || info.kind == ModuleKind::Detect;
    YE_CHECK(multi_input || r.from.size() == 1, ctx, ": ", r.module, " takes a single input, 'from' lists ",
             r.from.size());
    l.c1 = l.c_in[0];
    l.repeats_written = r.repeats;
    int n = r.repeats > 1 ? std::max(py_round_int(r.repeats * depth), 1) : r.repeats;
    l.repeats = n;
    std::vector<ArgValue> args = r.args;
    for (auto& a : args)
      if (a.kind == ArgValue::Kind::string && a.s == "nc") a = ArgValue::make_int(spec.nc);
    if (info.base) {
      YE_CHECK(!args.empty() && args[0].kind == ArgValue::Kind::integer, ctx,
               ": the first argument must be the output channels (an integer)");
      YE_CHECK(args[0].i > 0 && args[0].i <= kMaxChannels, ctx, ": output channels must be in [1, ", kMaxChannels,
               "], got ", args[0].i);
      int c2 = int(args[0].i);
      if (c2 != spec.nc) c2 = make_divisible(std::min(c2, max_ch) * width, 8);
      YE_CHECK(c2 > 0 && c2 <= kMaxChannels, ctx, ": scaled output channels ", c2, " are outside [1, ", kMaxChannels, "]");
      l.c2 = c2;
      args.erase(args.begin());
      args.insert(args.begin(), {ArgValue::make_int(l.c1), ArgValue::make_int(c2)});
      if (info.repeat) {
        args.insert(args.begin() + 2, ArgValue::make_int(n));
        n = 1;
      }
      if (info.kind == ModuleKind::C3k2) {
        legacy = false;
        if (!config.scales.empty() && spec.scale.size() == 1 && std::string("mlx").find(spec.scale) != std::string::npos) {
          while (args.size() < 4) args.push_back(ArgValue::make_bool(false));
          args[3] = ArgValue::make_bool(true);
        }
      }
    } else if (info.kind == ModuleKind::Concat) {
      l.c2 = std::accumulate(l.c_in.begin(), l.c_in.end(), 0);
    } else if (info.kind == ModuleKind::Detect) {
      check_arg_count(ctx, args, 1, "Detect(nc)");
      YE_CHECK(args.size() == 1 && args[0].kind == ArgValue::Kind::integer && args[0].i > 0, ctx,
               ": Detect takes [nc] (a positive class count)");
      YE_CHECK(i + 1 == config.layers.size(), ctx, ": Detect must be the last layer");
      DetectSpec& d = l.detect;
      d.nc = int(args[0].i);
      d.ch = l.c_in;
      d.legacy = legacy;
      d.c2 = std::max({16, d.ch[0] / 4, d.reg_max * 4});
      d.c3 = std::max(d.ch[0], std::min(d.nc, 100));
      std::vector<ArgValue> chs;
      for (int c : d.ch) chs.push_back(ArgValue::make_int(c));
      args.push_back(ArgValue::make_list(std::move(chs)));
      l.c2 = 4 * d.reg_max + d.nc;
      spec.detect_legacy = legacy;
    } else {
      l.c2 = l.c1;
    }
    l.copies = n;
    l.args = std::move(args);
    interpret_args(ctx, l);
    YE_CHECK(l.kind != ModuleKind::Detect || l.copies == 1, ctx, ": Detect cannot be repeated");
    YE_CHECK(l.copies == 1 || l.c1 == l.c2, ctx, ": repeating a ", r.module, " ", l.copies,
             " times needs equal input and output channels, got ", l.c1, " and ", l.c2);
    for (int f : r.from)
      if (f != -1) spec.save.push_back(((f % int(i)) + int(i)) % int(i));
    spec.layers.push_back(std::move(l));
    if (i == 0) ch.clear();
    ch.push_back(spec.layers.back().c2);
  }
  YE_CHECK(spec.layers.back().kind == ModuleKind::Detect, "model config '", path, "': the last layer must be Detect");
  std::sort(spec.save.begin(), spec.save.end());
  spec.save.erase(std::unique(spec.save.begin(), spec.save.end()), spec.save.end());
  spec.name = name.empty() ? "model" : name;
  std::vector<int> heights = output_heights(spec, 256);
  DetectSpec& det = spec.layers.back().detect;
  for (int in : spec.layers.back().inputs) {
    YE_CHECK(heights[in] > 0, "model config '", path, "': Detect input layer ", in, " has no spatial extent");
    det.strides.push_back(256 / heights[in]);
  }
  for (auto& l : spec.layers) {
    for (const auto& e : layer_state_entries(spec, l.index))
      if (e.parameter) l.params += e.numel();
  }
  return spec;
}

}  // namespace ye::yolo
