// Training settings of `yolo train`: TrainArgs (one typed field per key of configs/default.toml,
// i.e. the reference's default.yaml plus the engine's keys); default_train_args() (the embedded
// TOML), parse_train_args() (--key value | --key=value | key=value | --flag [true|false]),
// train_help_text() (`yolo train --help`) and to_yaml() (args.yaml in the reference's order and
// formatting). Bad input throws ye::Error naming the argument and, if unknown, the nearest key.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ye::yolo {

// A setting that is either a boolean or a string (pretrained, cache, resume): cache=ram,
// pretrained=path/to/weights.pt, resume=true. text is empty when the value is a boolean.
struct BoolOrText {
  bool flag = false;
  std::string text;
  bool is_text() const { return !text.empty(); }
  bool enabled() const { return flag || is_text(); }  // true, or any non-empty text
};

// An optional integer or list of integers (freeze, classes, embed): unset, 10, or [0, 2, 3].
struct IntOrList {
  std::vector<int64_t> values;
  bool is_list = false;
  bool is_set() const { return is_list || !values.empty(); }
};

enum class Precision { fp32, tf32, fp16, bf16 };

struct TrainArgs {
  std::string task, mode;
  // train settings
  std::string model, data;
  int64_t epochs = 0;
  std::optional<double> time;  // hours
  int64_t patience = 0, batch = 0, imgsz = 0;
  bool save = false;
  int64_t save_period = 0;
  BoolOrText cache;
  std::string device, project, name;
  int64_t workers = 0;
  bool exist_ok = false;
  BoolOrText pretrained;
  std::string optimizer;
  bool verbose = false;
  int64_t seed = 0;
  bool deterministic = false, single_cls = false, rect = false, cos_lr = false;
  int64_t close_mosaic = 0;
  BoolOrText resume;
  bool amp = false;
  double fraction = 0;
  bool profile = false;
  IntOrList freeze;
  bool multi_scale = false, overlap_mask = false;
  int64_t mask_ratio = 0;
  double dropout = 0;
  // val settings
  bool val = false;
  std::string split;
  bool save_json = false;
  std::optional<double> conf;
  double iou = 0;
  int64_t max_det = 0;
  bool half = false, dnn = false, plots = false;
  // predict / visualize / export settings (kept for args.yaml compatibility)
  std::string source;
  int64_t vid_stride = 0;
  bool stream_buffer = false, visualize = false, augment = false, agnostic_nms = false;
  IntOrList classes;
  bool retina_masks = false;
  IntOrList embed;
  bool show = false, save_frames = false, save_txt = false, save_conf = false, save_crop = false;
  bool show_labels = false, show_conf = false, show_boxes = false;
  std::optional<int64_t> line_width;
  std::string format;
  bool keras = false, optimize = false, int8 = false, dynamic = false, simplify = false;
  std::optional<int64_t> opset;
  std::optional<double> workspace;
  bool nms = false;
  // hyperparameters
  double lr0 = 0, lrf = 0, momentum = 0, weight_decay = 0, warmup_epochs = 0, warmup_momentum = 0;
  double warmup_bias_lr = 0, box = 0, cls = 0, dfl = 0, pose = 0, kobj = 0;
  int64_t nbs = 0;
  double hsv_h = 0, hsv_s = 0, hsv_v = 0, degrees = 0, translate = 0, scale = 0, shear = 0;
  double perspective = 0, flipud = 0, fliplr = 0, bgr = 0, mosaic = 0, mixup = 0, cutmix = 0;
  double copy_paste = 0;
  std::string copy_paste_mode, auto_augment;
  double erasing = 0;
  std::string cfg, tracker;
  // engine settings (not in the reference)
  std::string precision;   // auto | fp32 | tf32 | fp16 | bf16
  int64_t accumulate = 0;  // 0 = auto
  double max_grad_norm = 0;
  bool sync_bn = false, tensorboard = false;
  int64_t world = 1;  // processes of the run (WORLD_SIZE; --world N for CPU ranks)

  // Derived values.
  Precision resolved_precision() const;  // precision, or fp16 / fp32 from amp when "auto"
  std::string cache_mode() const;        // "", "ram" or "disk"
};

// Whether `key` is among the canonical keys set on a command line.
inline bool key_given(const std::vector<std::string>& explicit_keys, std::string_view key) {
  for (const auto& k : explicit_keys)
    if (k == key) return true;
  return false;
}

struct ParsedTrainArgs {
  TrainArgs args;
  bool help = false;                    // -h / --help / help was given
  std::vector<std::string> explicit_keys;  // canonical keys set on the command line, in order
  bool given(std::string_view key) const { return key_given(explicit_keys, key); }
};

// The embedded text of configs/default.toml (identical bytes; checked by tests/run).
std::string_view default_config_toml();

// Defaults parsed from the embedded TOML. Throws ye::Error if the TOML is malformed.
TrainArgs default_train_args();

// Parses the arguments after `train` (not including the program or subcommand name) on top of
// the defaults. Forms: --epochs 100, --epochs=100, epochs=100, --warmup-epochs 3, --amp,
// --amp false, amp=False, a bare boolean word (resume, amp: set true), --weights '' (from scratch). Aliases: --cfg (model file), --weights
// (pretrained start), --img/--img-size (imgsz), --batch-size (batch). Checks value types and
// ranges (fractions in [0, 1], choices); throws ye::Error naming the argument and, for an unknown
// one, the nearest valid name.
ParsedTrainArgs parse_train_args(const std::vector<std::string>& argv);
ParsedTrainArgs parse_train_args(int argc, const char* const* argv);  // argv[0..argc)

// Sets one key (canonical name or alias, dashes allowed) from its text value.
void set_train_arg(TrainArgs& args, std::string_view key, std::string_view value);
// Sets one canonical key exactly, without aliases (for args.yaml, where `cfg` is its own key).
void set_train_arg_exact(TrainArgs& args, std::string_view key, std::string_view value);

// Canonical keys in configs/default.toml order (reference keys first, then the engine's).
const std::vector<std::string>& train_arg_keys();

// The value of a key formatted as in args.yaml ("100", "0.01", "null", "ram", ...).
std::string train_arg_yaml_value(const TrainArgs& args, std::string_view key);

// `yolo train --help`: usage, the accepted forms, and every key with its default and description.
std::string train_help_text();

// args.yaml text: every reference key in the reference's order and PyYAML formatting, then
// save_dir, then the engine's own keys.
std::string to_yaml(const TrainArgs& args, const std::string& save_dir);

}  // namespace ye::yolo
