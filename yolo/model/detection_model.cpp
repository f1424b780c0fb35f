// DetectionModel: modules of layers/ instantiated from the resolved spec, graph forward with the saved
// outputs the spec names, arenas for parameters (grouped for the optimizer) and BN statistics, and the
// reference-named state dict in and out.
#include "yolo/model/detection_model.h"

#include <cstring>
#include <map>
#include <optional>

#include "engine/nn_ops.h"
#include "engine/ops.h"
#include "engine/weight_cast.h"
#include "layers/attention.h"
#include "layers/blocks.h"
#include "layers/head.h"

namespace ye::yolo {

// The module tree: a root whose only child "model" is a Sequential of the graph's layers, so state
// names read model.<i>.<...> as in the reference.
struct DetectionModel::Impl : layers::Module {
  std::shared_ptr<layers::Sequential> seq = std::make_shared<layers::Sequential>();
  std::vector<std::shared_ptr<layers::Module>> layer;
  std::shared_ptr<layers::Detect> detect;
  std::vector<bool> keep;  // outputs later layers read
  Tensor dfl_weight;       // frozen, kept out of the parameter arena
  Impl() { register_module("model", seq); }
};

namespace {
// An upsample whose only reader is the next layer, a concat taking it first (the neck), writes into
// that concat's buffer and the concat's other inputs are copied beside it, so the concat takes the
// buffer as it is: one pass over the upsampled pixels instead of two, and their gradient read in place.
// Returns the concat's inputs as slices of the buffer, or nothing where that pattern does not hold.
std::vector<Tensor> upsample_into_concat(const ModelSpec& spec, const std::vector<bool>& keep, size_t i,
                                         layers::Upsample& up, const Tensor& x, const std::vector<Tensor>& outs) {
  if (i + 1 >= spec.layers.size() || keep[i] || x.ndim() != 4) return {};
  const LayerSpec& cat = spec.layers[i + 1];
  if (cat.kind != ModuleKind::Concat || cat.inputs.empty() || cat.inputs[0] != int(i)) return {};
  const int64_t n = x.dim(0), h = 2 * x.dim(1), w = 2 * x.dim(2);
  std::vector<Tensor> others;
  int64_t channels = x.dim(3);
  for (size_t k = 1; k < cat.inputs.size(); ++k) {
    const int src = cat.inputs[k];
    if (src < 0 || src >= int(i)) return {};
    const Tensor& t = outs[size_t(src)];
    if (!t.defined() || t.ndim() != 4 || t.dim(0) != n || t.dim(1) != h || t.dim(2) != w || t.dtype() != x.dtype() ||
        t.device() != x.device())
      return {};
    others.push_back(t);
    channels += t.dim(3);
  }
  Tensor buf = Tensor::empty(Shape{n, h, w, channels}, x.dtype(), x.device());
  std::vector<Tensor> parts{up.forward_into(x, buf.narrow_view(-1, 0, x.dim(3)))};
  int64_t offset = x.dim(3);
  for (const Tensor& t : others) {
    parts.push_back(ops::copy_into(buf.narrow_view(-1, offset, t.dim(3)), t));
    offset += t.dim(3);
  }
  return parts;
}

std::shared_ptr<layers::Module> make_layer(const LayerSpec& l) {
  using namespace layers;
  switch (l.kind) {
    case ModuleKind::Conv: return std::make_shared<Conv>(l.c1, l.c2, l.kernel, l.stride, l.groups, l.act);
    case ModuleKind::DWConv: return make_dwconv(l.c1, l.c2, l.kernel, l.stride, l.act);
    case ModuleKind::Bottleneck:
      return std::make_shared<Bottleneck>(l.c1, l.c2, l.shortcut, l.groups, 3, 3, float(l.e));
    case ModuleKind::C2f: return std::make_shared<C2f>(l.c1, l.c2, l.n, l.shortcut, l.groups, float(l.e));
    case ModuleKind::C3k2: return std::make_shared<C3k2>(l.c1, l.c2, l.n, l.c3k, float(l.e), l.groups, l.shortcut);
    case ModuleKind::SPPF: return std::make_shared<SPPF>(l.c1, l.c2, l.pool_k);
    case ModuleKind::C2PSA: return std::make_shared<C2PSA>(l.c1, l.c2, l.n, float(l.e));
    case ModuleKind::Upsample:
      YE_CHECK(l.scale_factor == 2.0 && l.mode == "nearest", "layer ", l.index,
               ": only nearest x2 upsampling is supported, got ", l.mode, " x", l.scale_factor);
      return std::make_shared<Upsample>();
    case ModuleKind::Concat:
      YE_CHECK(l.dim == 1, "layer ", l.index, ": Concat along dim ", l.dim, " (only channels, dim 1, is supported)");
      return std::make_shared<Concat>();
    case ModuleKind::Detect:
      return std::make_shared<Detect>(l.detect.nc, l.detect.ch, l.detect.legacy);
  }
  YE_FAIL("layer ", l.index, ": unsupported module ", l.module);
}

bool is_conv_weight(const std::string& name, const Tensor& t) {
  return t.ndim() == 4 && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
}

io::SafeTensor to_safetensor(const std::string& name, const Tensor& t, DType float_dtype) {
  Tensor host = t.detach();
  if (is_conv_weight(name, host)) host = ops::conv_weight_to_oihw(host.to(Device::cpu()));
  if (dtype_is_float(host.dtype())) host = ops::cast(host.to(Device::cpu()), float_dtype);
  host = host.to(Device::cpu()).contiguous();
  io::SafeTensor s;
  s.name = name;
  s.dtype = host.dtype();
  for (int i = 0; i < host.ndim(); ++i) s.shape.push_back(host.dim(i));
  if (name.size() > 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0) s.shape.clear();
  s.bytes.resize(host.nbytes());
  std::memcpy(s.bytes.data(), host.data(), host.nbytes());
  return s;
}
}  // namespace

DetectionModel::DetectionModel(const ModelSpec& spec, Device device, uint64_t seed)
    : spec_(spec), device_(device), impl_(std::make_unique<Impl>()) {
  YE_CHECK(!spec.layers.empty() && spec.layers.back().kind == ModuleKind::Detect, "model ", spec.name,
           ": the last layer must be Detect");
  impl_->keep.assign(spec.layers.size(), false);
  for (int s : spec.save) impl_->keep[size_t(s)] = true;
  for (const LayerSpec& l : spec.layers) {
    std::shared_ptr<layers::Module> m;
    if (l.copies > 1) {
      auto seq = std::make_shared<layers::Sequential>();
      for (int c = 0; c < l.copies; ++c) seq->push_back(make_layer(l));
      m = seq;
    } else {
      m = make_layer(l);
    }
    impl_->seq->push_back(m);
    impl_->layer.push_back(m);
  }
  impl_->detect = std::dynamic_pointer_cast<layers::Detect>(impl_->layer.back());
  Generator gen(seed);
  impl_->reset_parameters(gen);

  // Parameter arena in optimizer-group order: biases, decayed weights, BN weights.
  layers::NamedTensors params = impl_->named_parameters();
  std::vector<std::pair<std::string, Tensor>> biases, weights, bn_weights;
  for (auto& [name, t] : params) {
    if (name.find(".dfl.") != std::string::npos) {
      impl_->dfl_weight = t;
      continue;
    }
    bool bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    bool bn = name.find(".bn.") != std::string::npos;
    (bias ? biases : bn ? bn_weights : weights).push_back({name, t});
  }
  std::vector<std::pair<std::string, Tensor>> ordered = biases;
  ordered.insert(ordered.end(), weights.begin(), weights.end());
  ordered.insert(ordered.end(), bn_weights.begin(), bn_weights.end());
  params_ = std::make_unique<ParameterArena>();
  params_->adopt(ordered, device);
  group_sizes_ = {int64_t(biases.size()), int64_t(weights.size()), int64_t(bn_weights.size())};
  std::vector<std::pair<std::string, Tensor>> stats;
  for (auto& [name, t] : impl_->named_buffers())
    if (dtype_is_float(t.dtype())) stats.push_back({name, t});
  buffers_ = std::make_unique<ParameterArena>();
  buffers_->adopt(stats, device, false);
  if (impl_->dfl_weight.defined()) {
    Tensor moved = impl_->dfl_weight.to(device);
    impl_->dfl_weight.impl()->storage = moved.impl()->storage;
    impl_->dfl_weight.impl()->offset = moved.offset();
  }
  set_training(true);
}

DetectionModel::~DetectionModel() = default;

void DetectionModel::set_training(bool on) {
  training_ = on;
  impl_->train(on);
}

void DetectionModel::set_sync_batch_norm(dist::Communicator* comm) { layers::set_sync_batch_norm(*impl_, comm); }

DetectOutput DetectionModel::forward(const Tensor& images) {
  YE_CHECK(images.ndim() == 4 && images.dim(3) == spec_.in_channels, "model input must be (B, H, W, ",
           spec_.in_channels, ") NHWC, got ", images.shape().str());
  YE_CHECK(images.dim(1) % 32 == 0 && images.dim(2) % 32 == 0, "model input ", images.shape().str(),
           ": height and width must be multiples of 32");
  // Low-precision inputs: every weight cast of this forward reads one arena-wide copy made here.
  std::optional<WeightCastScope> weights;
  if (params_ && (images.dtype() == DType::f16 || images.dtype() == DType::bf16))
    weights.emplace(*params_, images.dtype());
  std::vector<Tensor> outs(spec_.layers.size());
  Tensor x = images;
  DetectOutput result;
  std::vector<Tensor> placed;  // the next layer's concat inputs, already in its buffer
  for (size_t i = 0; i < spec_.layers.size(); ++i) {
    const LayerSpec& l = spec_.layers[i];
    std::vector<Tensor> ins;
    for (int src : l.inputs) ins.push_back(src < 0 ? images : outs[size_t(src)]);
    if (!placed.empty()) ins = std::move(placed), placed.clear();
    if (hooks_) hooks_->enter(int(i), ins);
    if (l.kind == ModuleKind::Upsample) {
      placed = upsample_into_concat(spec_, impl_->keep, i, static_cast<layers::Upsample&>(*impl_->layer[i]), ins[0],
                                    outs);
      if (!placed.empty()) {
        std::vector<Tensor> y{placed[0]};
        if (hooks_) hooks_->leave(int(i), y);
        outs[i] = y[0];
        if (i > 0 && !impl_->keep[i - 1]) outs[i - 1] = Tensor();
        continue;
      }
    }
    if (l.kind == ModuleKind::Detect) {
      layers::Detect::Output o = impl_->detect->forward_levels(ins);
      if (hooks_) hooks_->leave(int(i), o.levels);
      result.feats = o.levels;
      if (!training_) result.decoded = layers::Detect::to_channels_first(o.decoded);
      break;
    }
    layers::Module& m = *impl_->layer[i];
    std::vector<Tensor> y{l.kind == ModuleKind::Concat ? m.forward_many(ins) : m.forward(ins[0])};
    if (hooks_) hooks_->leave(int(i), y);
    outs[i] = y[0];
    if (i > 0 && !impl_->keep[i - 1]) outs[i - 1] = Tensor();  // free what no later layer reads
  }
  return result;
}

std::vector<ParamGroup> DetectionModel::param_groups(float lr, float momentum, float weight_decay) const {
  std::vector<ParamGroup> g(3);
  const char* names[] = {"bias", "weight", "bn"};
  int64_t first = 0;
  for (int k = 0; k < 3; ++k) {
    g[k].name = names[k];
    g[k].count = group_sizes_[size_t(k)];
    const auto& e = params_->entries();
    int64_t last = first + group_sizes_[size_t(k)];
    g[k].offset = last > first ? e[size_t(first)].offset : 0;
    g[k].numel = last > first ? (last < int64_t(e.size()) ? e[size_t(last)].offset : params_->total()) - g[k].offset : 0;
    g[k].lr = g[k].initial_lr = lr;
    g[k].momentum = momentum;
    g[k].weight_decay = k == 1 ? weight_decay : 0.0f;
    first = last;
  }
  if (impl_->dfl_weight.defined()) g[1].count += 1;  // the reference lists the frozen DFL weight in pg1
  return g;
}

std::vector<io::SafeTensor> DetectionModel::state_dict(DType float_dtype) const {
  std::vector<io::SafeTensor> out;
  for (auto& [name, t] : impl_->state_dict()) out.push_back(to_safetensor(name, t, float_dtype));
  return out;
}

LoadReport DetectionModel::load_state_dict(const io::SafeTensorsFile& file, bool strict) {
  LoadReport r;
  std::map<std::string, bool> used;
  for (auto& [name, t] : impl_->state_dict()) {
    r.total++;
    const io::SafeTensor* s = file.find(name);
    if (!s) {
      // BN's num_batches_tracked counts forward passes only; converted reference files may omit it.
      bool counter = name.size() > 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
      YE_CHECK(!strict || counter, "weights file has no tensor ", name, " (wrong model or scale?)");
      r.missing.push_back(name);
      continue;
    }
    used[name] = true;
    bool conv = is_conv_weight(name, t);
    std::vector<int64_t> want;
    if (conv) want = {t.dim(0), t.dim(3), t.dim(1), t.dim(2)};
    else
      for (int i = 0; i < t.ndim(); ++i) want.push_back(t.dim(i));
    std::vector<int64_t> have = s->shape;
    bool scalar_ok = have.empty() && t.numel() == 1;
    if (have != want && !scalar_ok) {
      YE_CHECK(!strict, "tensor ", name, " has shape ", Shape::from(have.begin(), have.end()).str(),
               " in the file, the model expects ", Shape::from(want.begin(), want.end()).str());
      r.mismatched.push_back(name);
      continue;
    }
    Shape file_shape = scalar_ok ? t.shape() : Shape::from(have.begin(), have.end());
    Tensor host = Tensor::from_blob_copy(s->bytes.data(), file_shape, s->dtype, Device::cpu());
    if (conv) host = ops::conv_weight_from_oihw(ops::cast(host, DType::f32));
    NoGradGuard ng;
    ops::copy_(t, host.to(t.device()));
    r.transferred++;
  }
  for (const auto& s : file.tensors)
    if (!used.count(s.name)) r.unexpected.push_back(s.name);
  return r;
}

void DetectionModel::copy_weights_from(const Tensor& values, const Tensor& buffers) {
  ops::copy_(params_->values(), values);
  if (buffers.defined() && buffers_->values().defined()) ops::copy_(buffers_->values(), buffers);
}

std::vector<Tensor> DetectionModel::batch_counters() const {
  std::vector<Tensor> out;
  const std::string suffix = "num_batches_tracked";
  for (auto& [name, t] : impl_->named_buffers())
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(t);
  return out;
}

Tensor images_to_input(const uint8_t* images, int batch, int height, int width, Device device, DType dtype) {
  Tensor raw = Tensor::empty({batch, height, width, 3}, DType::u8, device);
  ops::copy_from_host_async(raw, images, raw.nbytes());
  return uint8_images_to_input(raw, dtype);
}

// One pass from bytes to the scaled input, in rows as long as the stem convolution widens its input to
// (8 channels, the 5 beyond RGB zero, on CUDA in f16/bf16), which it then takes as they are.
Tensor uint8_images_to_input(const Tensor& raw, DType dtype) {
  return ops::scaled_cast(raw, dtype, 1.0f / 255.0f, ops::conv_input_row_pad(raw.device(), dtype));
}

}  // namespace ye::yolo
