// Resolved model specification of a YOLOv8 / YOLO11 detector: the layer graph of a model config
// (configs/*.toml or an Ultralytics model YAML) after the reference's parse rules (scale, repeats,
// channel rounding, C3k2 c3k override, Detect legacy flag, nc override). The model graph that builds
// modules consumes ModelSpec; nothing here needs a Tensor type.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ye::yolo {

// One constructor argument as written in a config and as the reference prints it ("[3, 16, 3, 2]").
struct ArgValue {
  enum class Kind : uint8_t { none, boolean, integer, real, string, list };
  Kind kind = Kind::none;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<ArgValue> items;  // kind == list

  static ArgValue make_none() { return {}; }
  static ArgValue make_bool(bool v) { ArgValue a; a.kind = Kind::boolean; a.b = v; return a; }
  static ArgValue make_int(int64_t v) { ArgValue a; a.kind = Kind::integer; a.i = v; return a; }
  static ArgValue make_real(double v) { ArgValue a; a.kind = Kind::real; a.d = v; return a; }
  static ArgValue make_string(std::string v) { ArgValue a; a.kind = Kind::string; a.s = std::move(v); return a; }
  static ArgValue make_list(std::vector<ArgValue> v) { ArgValue a; a.kind = Kind::list; a.items = std::move(v); return a; }
  bool is_number() const { return kind == Kind::integer || kind == Kind::real; }
  double number() const { return kind == Kind::integer ? double(i) : d; }
};

// Python str() of a value / list: True, None, 0.25, 'nearest', [64, [1, 2]].
std::string python_str(const ArgValue& v);
std::string python_str(const std::vector<ArgValue>& list);

// A layer row as written: [from, repeats, module, args].
struct RawLayer {
  std::vector<int> from;  // {-1} or {-1, 6} or {15, 18, 21}
  int repeats = 1;
  std::string module;     // "Conv", "nn.Upsample", ...
  std::vector<ArgValue> args;
  int line = 0;           // source line (0 when unknown), for error messages
};

struct ScaleSpec {
  double depth = 1.0, width = 1.0;
  int max_channels = 0;   // 0: unlimited
};

// A model config file before scale resolution (TOML and YAML parse into the same thing).
struct RawModelConfig {
  std::string path;                                   // file it was read from
  int nc = 80;
  std::vector<std::pair<std::string, ScaleSpec>> scales;  // in file order; empty: depth/width_multiple
  ScaleSpec no_scale;                                 // used when scales is empty
  std::vector<RawLayer> layers;                       // backbone then head
};

enum class ModuleKind : uint8_t { Conv, DWConv, Bottleneck, C2f, C3k2, SPPF, C2PSA, Upsample, Concat, Detect };
const char* module_kind_name(ModuleKind k);          // "Conv", ..., "Upsample"
const char* module_type_path(ModuleKind k);          // "ultralytics.nn.modules.block.C2f", "torch.nn...."

// Detect head sizes (REFERENCE 2.8).
struct DetectSpec {
  int nc = 80;
  std::vector<int> ch;     // input channels per level (P3, P4, P5)
  bool legacy = true;      // true: YOLOv8 cls branch (Conv 3x3, Conv 3x3); false: YOLO11 (DWConv+Conv twice)
  int reg_max = 16;
  int c2 = 64;             // box-branch width: max(16, ch[0]/4, 4*reg_max)
  int c3 = 80;             // cls-branch width: max(ch[0], min(nc, 100))
  std::vector<int> strides;  // per level, as the reference measures them: 256 / H_level of a 256x256 input
};

// One resolved layer. Fields not used by a kind keep their defaults.
//  Conv / DWConv : c1 -> c2, kernel, stride, padding (autopad resolved), groups (DWConv: gcd(c1, c2)),
//                  dilation; with BN and SiLU.
//  Bottleneck    : c1 -> c2, shortcut, groups, e (hidden int(c2*e)), kernels 3x3, 3x3.
//  C2f / C3k2    : c1 -> c2, n inner blocks, shortcut, groups, e, c3k (C3k2 only: blocks are C3k(n=2)).
//  SPPF          : c1 -> c2, pool_k.
//  C2PSA         : c1 -> c2 (== c1), n PSABlocks, e.
//  Upsample      : scale_factor, mode; channels pass through.
//  Concat        : dim; c2 = sum of the input channels (in from order).
//  Detect        : detect (nc, ch, legacy, widths).
struct LayerSpec {
  int index = 0;
  std::vector<int> from;     // as written: -1 is the previous layer
  std::vector<int> inputs;   // absolute layer indices of the inputs; -1 only for layer 0 (the image)
  int repeats_written = 1;   // n as written
  int repeats = 1;           // max(round(n*depth), 1) if n > 1 else n (printed in the table)
  int copies = 1;            // >1: an nn.Sequential of `copies` identical modules (names model.i.<j>.…);
                             // repeat modules (C2f, C3k2, C2PSA) take the repeats as `n` and have copies 1
  ModuleKind kind = ModuleKind::Conv;
  std::string module;        // as written in the config
  std::vector<int> c_in;     // channels of each input, in from order
  int c1 = 0, c2 = 0;        // input channels (first input), output channels
  int kernel = 1, stride = 1, padding = 0, groups = 1, dilation = 1;
  bool act = true;           // Conv/DWConv: SiLU (true) or Identity (false)
  int n = 1;
  bool shortcut = false;
  bool c3k = false;
  double e = 0.5;
  int pool_k = 5;
  double scale_factor = 2.0;
  std::string mode = "nearest";
  int dim = 1;
  DetectSpec detect;
  std::vector<ArgValue> args;  // resolved constructor args, as the reference's table prints them
  int64_t params = 0;          // parameters of this layer (all copies), buffers excluded
};

struct ModelSpec {
  std::string source;         // config file read
  std::string name;           // stem used in summaries, e.g. "yolov8s" -> "YOLOv8s summary: ..."
  std::string scale;          // "n".."x", or "" when the config has no scales
  ScaleSpec scale_values;
  int nc = 80;
  int in_channels = 3;
  bool detect_legacy = true;
  std::vector<LayerSpec> layers;
  std::vector<int> save;      // sorted layer indices whose outputs later layers read
  const LayerSpec& detect() const { return layers.back(); }
};

// ---- Loading ---------------------------------------------------------------------------------

// Parses a model config file. TOML (configs/*.toml) or Ultralytics YAML, chosen by extension.
// Malformed files throw ye::Error naming the file and what is wrong (with the layer row).
RawModelConfig parse_model_toml(const std::string& path);
RawModelConfig parse_model_yaml(const std::string& path);
RawModelConfig parse_model_config(const std::string& path);

// Applies the reference's parse rules for one scale ("" = first scale, with a warning on stderr).
// nc > 0 overrides the config's nc (the dataset's class count).
ModelSpec build_model_spec(const RawModelConfig& config, const std::string& scale, int nc = 0,
                           const std::string& name = "");

// Scale letter from a file name the way the reference does: the character after yolo[v]<digits>
// in the stem ("yolov8s.yaml" -> "s", "yolo11n" -> "n"), "" when there is none.
std::string guess_model_scale(const std::string& path_or_name);

// Folder holding yolov8.toml / yolo11.toml: $YE_CONFIG_DIR, else ./configs, else configs/ found
// walking up from the executable's folder. Throws when none is found.
std::string find_config_dir();

// Resolves a model name or file: "yolov8s" -> <config_dir>/yolov8.toml scale s; "yolo11n.yaml"
// (no such file) -> the built-in yolo11 config scale n; an existing .toml/.yaml path -> that file
// with the scale from `scale`, else from its name, else its first scale. nc > 0 overrides nc.
ModelSpec load_model_spec(const std::string& model, int nc = 0, const std::string& scale = "",
                          const std::string& config_dir = "");

// ---- What the spec implies -------------------------------------------------------------------

// One entry of the reference's state_dict, in its order (OIHW conv weights).
struct StateEntry {
  std::string name;              // "model.0.conv.weight"
  std::vector<int64_t> shape;    // [16, 3, 3, 3]; num_batches_tracked: [] (a scalar)
  bool parameter = true;         // false: a buffer (BN running stats, num_batches_tracked)
  bool trainable = true;         // parameters only; false for the frozen DFL conv
  bool integer = false;          // num_batches_tracked (int64 in the reference)
  int64_t numel() const;
};
std::vector<StateEntry> state_dict_entries(const ModelSpec& spec);
std::vector<StateEntry> layer_state_entries(const ModelSpec& spec, int layer);

struct ModelCounts {
  int64_t parameters = 0;   // all parameters (incl. the frozen DFL conv), buffers excluded
  int64_t gradients = 0;    // parameters that require grad
  int layers = 0;           // leaf modules, as the reference counts them (shared SiLU once)
};
ModelCounts model_counts(const ModelSpec& spec, bool fused = false);

// Multiply-accumulates of one eval-mode forward at batch 1 and the given input size, as thop
// counts them: convs (no bias term), BN 4 per element (unfused only), attention matmuls, the DFL
// conv; pools, upsample, activations, concat, softmax: 0.
double model_macs(const ModelSpec& spec, int height, int width, bool fused = false);
// GFLOPs as the reference prints them: 2*MACs at a 32x32 input, scaled by (h/32)*(w/32).
double model_gflops(const ModelSpec& spec, int imgsz_h, int imgsz_w, bool fused = false);

// The reference's per-layer table (header + one row per layer) and summary line, e.g.
// "YOLOv8s summary: 129 layers, 11,166,560 parameters, 11,166,544 gradients, 28.8 GFLOPs".
// Fused: "YOLOv8n summary (fused): 72 layers, 3,151,904 parameters, 0 gradients, 8.7 GFLOPs" as
// validation / prediction of a checkpoint prints it (frozen, the default when fused); frozen=false
// prints the gradients as model.fuse() of a trainable model does (3,151,888).
std::string layer_table(const ModelSpec& spec);
std::string summary_line(const ModelSpec& spec, int imgsz = 640, bool fused = false,
                         std::optional<bool> frozen = std::nullopt);

}  // namespace ye::yolo
