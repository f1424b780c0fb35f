// profile_train_step: runs train steps with LayerTimer hooked into the model, each phase (forward,
// loss, backward, optimizer) between clock marks and inside an NVTX range, and averages the timed
// steps into a StepProfile with per-layer FLOPs (from the spec's leaf walk) and boundary bytes.
#include <cstdlib>

#include "api/layer_timer.h"
#include "engine/ops.h"
#include "kernels/error.h"
#include "yolo/model_spec/module_walk.h"
#include "yolo_engine/yolo_engine.h"

namespace ye::api {
namespace {

// Forward FLOPs per layer at batch 1: 2 x the multiply-accumulates of its convs and attention matmuls.
std::vector<double> layer_flops(const yolo::ModelSpec& spec, int height, int width) {
  std::vector<double> flops(spec.layers.size(), 0.0);
  for (const yolo::detail::LeafOp& op : yolo::detail::walk_model(spec, height, width)) {
    size_t layer = size_t(std::strtoul(op.prefix.c_str() + 6, nullptr, 10));  // "model.<i>."
    if (layer >= flops.size()) continue;
    using Type = yolo::detail::LeafOp::Type;
    if (op.type == Type::conv_bn) flops[layer] += 2.0 * double(op.out_numel) * (op.c1 / op.g) * op.k * op.k;
    else if (op.type == Type::conv2d) flops[layer] += 2.0 * double(op.out_numel) * op.c1;
    else if (op.type == Type::matmul) flops[layer] += 2.0 * double(op.matmul_macs);
  }
  return flops;
}

struct HookScope {
  yolo::DetectionModel& model;
  HookScope(yolo::DetectionModel& m, layers::LayerHooks* hooks) : model(m) { model.set_layer_hooks(hooks); }
  ~HookScope() { model.set_layer_hooks(nullptr); }
};

}  // namespace

StepProfile profile_train_step(Model& model, TrainStep& trainer, const Tensor& images, const Tensor& targets,
                               const ProfileOptions& options) {
  YE_CHECK(images.ndim() == 4, "profile: images must be (B, H, W, 3), got ", images.shape().str());
  YE_CHECK(options.iterations > 0 && options.warmup >= 0, "profile: iterations ", options.iterations,
           " must be > 0 and warmup ", options.warmup, " >= 0");
  yolo::DetectionModel& dm = model.detection_model();
  const yolo::ModelSpec& spec = dm.spec();
  const size_t n = spec.layers.size();
  const int batch = int(images.dim(0)), height = int(images.dim(1)), width = int(images.dim(2));
  const bool nvtx = options.nvtx && dm.device().is_cuda();
  Tensor input = trainer.options().amp && images.dtype() == DType::f32 ? ops::cast(images, DType::f16) : images;

  StepProfile p;
  p.model = spec.name;
  p.device = dm.device().str();
  p.precision = std::string(dtype_name(input.dtype()));
  p.batch = batch;
  p.imgsz = height;
  p.iterations = options.iterations;
  std::vector<std::string> names;
  for (const yolo::LayerSpec& l : spec.layers)
    names.push_back("model." + std::to_string(l.index) + " " + yolo::module_kind_name(l.kind));

  StepClock clock(dm.device());
  LayerTimer timer(clock, names, nvtx);
  std::vector<double> forward_ms(n, 0.0), backward_ms(n, 0.0);
  auto phase = [&](const char* name, auto&& body) {
    if (nvtx) nvtx_push(name);
    body();
    if (nvtx) nvtx_pop();
    return clock.mark();
  };
  {
    HookScope hooks(dm, &timer);
    for (int it = 0; it < options.warmup + options.iterations; ++it) {
      clock.reset();
      timer.begin_step();
      int m0 = clock.mark();
      std::vector<Tensor> head;
      yolo::LossResult loss;
      int m1 = phase("forward", [&] { head = model.forward(input); });
      int m2 = phase("loss", [&] { loss = model.loss(head, targets, height, width); });
      head.clear();
      int m3 = phase("backward", [&] {
        trainer.backward(loss.total);
        timer.end_backward();
      });
      loss = {};
      int m4 = phase("optimizer", [&] { trainer.optimizer_step(); });
      std::vector<double> t = clock.elapsed_ms();
      if (it < options.warmup) continue;
      timer.accumulate(t, m2, m3, forward_ms, backward_ms);
      p.backward_ms += t[size_t(m3)] - t[size_t(m2)];
      p.forward_ms += t[size_t(m1)] - t[size_t(m0)];
      p.loss_ms += t[size_t(m2)] - t[size_t(m1)];
      p.optimizer_ms += t[size_t(m4)] - t[size_t(m3)];
    }
  }
  const double iters = options.iterations;
  p.forward_ms /= iters;
  p.loss_ms /= iters;
  p.backward_ms /= iters;
  p.optimizer_ms /= iters;

  std::vector<double> flops = layer_flops(spec, height, width);
  for (size_t i = 0; i < n; ++i) {
    LayerProfile l;
    l.index = int(i);
    l.name = names[i];
    l.forward_ms = forward_ms[i] / iters;
    l.backward_ms = backward_ms[i] / iters;
    l.forward_flops = flops[i] * batch;
    l.backward_flops = 2.0 * l.forward_flops;
    double params = double(spec.layers[i].params) * 4.0;
    double in = timer.input_bytes()[i], out = timer.output_bytes()[i];
    l.forward_bytes = in + out + params;
    l.backward_bytes = out + 2.0 * in + 2.0 * params;
    p.layers.push_back(l);
  }
  return p;
}

}  // namespace ye::api
