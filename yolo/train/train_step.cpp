// TrainStep (see train_step.h): the eager micro-batch body, and its recording as two CUDA graphs
// (forward + loss + backward; optimizer tail) with the batch uploaded into fixed device buffers.
#include "yolo/train/train_step.h"

#include <algorithm>
#include <bit>

#include "engine/allocator.h"
#include "engine/ops.h"
#include "engine/recompute.h"
#include "engine/oom_message.h"
#include "yolo/train/data_parallel.h"

namespace ye::yolo {

TrainStep::TrainStep(TrainStepParts parts) : p_(parts), uploader_(parts.model ? parts.model->device() : Device::cpu()) {
  YE_CHECK(p_.model && p_.loss && p_.optimizer && p_.scaler, "TrainStep: model, loss, optimizer and scaler are required");
  const Device dev = p_.model->device();
  components_ = Tensor::zeros({4}, DType::f32, dev);
  batch_counters_ = p_.model->batch_counters();
  graphs_ok_ = p_.use_graphs && step_graphs_enabled() && dev.is_cuda() && !p_.ddp;
  if (!graphs_ok_)
    stats_.disabled_reason = !dev.is_cuda()       ? "not a CUDA device"
                             : p_.ddp             ? "multi-process (DDP) steps run eagerly"
                             : !p_.use_graphs     ? "turned off by the caller"
                                                  : "YE_CUDA_GRAPH=0";
}

void TrainStep::prepare_shape(const StepBatch& b) {
  const int need = b.num_targets ? max_boxes_per_image(b.targets, b.num_targets, b.batch) : 1;
  const bool graph_shape = forward_graph_.captured() && b.batch == graph_images_.dim(0) &&
                           b.height == graph_images_.dim(1) && b.width == graph_images_.dim(2);
  if (graph_shape && need <= graph_targets_.max_boxes) {
    // Back on the recorded shape (after a passing one, e.g. an epoch's last partial batch): its buffers.
    on_graph_shape_ = true;
    images_ = graph_images_, targets_ = graph_targets_;
    batch_ = b.batch, height_ = b.height, width_ = b.width;
    return;
  }
  on_graph_shape_ = false;
  const bool same_shape = b.batch == batch_ && b.height == height_ && b.width == width_;
  if (same_shape && need <= targets_.max_boxes) return;
  if (graph_shape) {  // more boxes than the recorded capacity: that graph is done
    stats_.recaptures++;
    drop_graphs();
  }
  warm_ = 0;
  auto_recompute_ = true;
  // Per-image capacity: a power of two >= 32 that only grows, so mosaic batches rarely re-record.
  max_boxes_ = std::max({max_boxes_, 32, int(std::bit_ceil(unsigned(need)))});
  batch_ = b.batch, height_ = b.height, width_ = b.width;
  images_ = Tensor::empty({b.batch, b.height, b.width, 3}, DType::u8, p_.model->device());
  targets_.rows = Tensor::empty({int64_t(batch_) * max_boxes_, 6}, DType::f32, p_.model->device());
  targets_.max_boxes = max_boxes_;
}

void TrainStep::drop_graphs() {
  forward_graph_.reset();
  tail_graph_.reset();
  graph_images_ = Tensor(), graph_targets_ = PaddedTargets();
  stats_.graph_bytes = stats_.graph_nodes = stats_.graph_cache_bytes = stats_.graph_live_peak = 0;
  stats_.graph_planned = false;
}

void TrainStep::upload(const StepBatch& b) {
  uploader_.upload(images_, b.images, images_.nbytes(), b.memory);
  if (images_.device().is_cpu()) {  // the CPU loss reads host rows directly
    host_targets_ = Tensor::from_vector(std::vector<float>(b.targets, b.targets + b.num_targets * 6),
                                        {b.num_targets, 6});
    return;
  }
  const bool fits = pad_target_rows(b.targets, b.num_targets, batch_, targets_.rows.dim(0), targets_.max_boxes,
                                    padded_rows_);
  YE_CHECK(fits, "TrainStep: ", b.num_targets, " targets do not fit the padded capacity");
  ops::copy_from_host_async(targets_.rows, padded_rows_.data(), padded_rows_.size() * sizeof(float));
}

void TrainStep::forward_backward(bool optimizer_step) {
  if (p_.ddp) mark(TrainPhase::broadcast), p_.ddp->before_forward();
  mark(TrainPhase::forward);
  DetectOutput out = p_.model->forward(uint8_images_to_input(images_, p_.input_dtype));
  // Single device with loss scaling: the loss kernel writes its gradients already scaled.
  const Tensor prescale = !p_.ddp && p_.scaler->enabled() ? p_.scaler->scale() : Tensor();
  LossResult l = images_.device().is_cpu() ? (*p_.loss)(out.feats, host_targets_, height_, width_, prescale)
                                           : (*p_.loss)(out.feats, targets_, height_, width_, prescale);
  mark(TrainPhase::backward);
  if (p_.ddp) {
    p_.ddp->begin_backward(optimizer_step);
    p_.scaler->scale_loss(p_.ddp->scale_loss(l.total)).backward();
    mark(TrainPhase::all_reduce);
    p_.ddp->end_backward();
  } else if (prescale.defined()) {
    l.total.backward(prescale);
  } else {
    p_.scaler->scale_loss(l.total).backward();
  }
  ops::copy_(components_, l.components);
}

void TrainStep::optimizer_tail() {
  mark(TrainPhase::optimizer);
  p_.optimizer->enqueue_step(*p_.scaler, p_.max_norm);
  p_.scaler->update();
  p_.model->parameters().zero_grad();
  if (p_.ema) p_.ema->enqueue(p_.model->parameters().values(), p_.model->buffers().values());
}

bool TrainStep::recompute_now() const {
  if (p_.recompute != RecomputeMode::automatic) return p_.recompute == RecomputeMode::on;
  return recompute_chosen() ? recompute_enabled() : auto_recompute_;
}

void TrainStep::choose_recompute(size_t step_bytes) {
  const Device dev = p_.model->device();
  const AllocatorStats s = allocator_stats(dev);
  const size_t available = device_memory(dev).free + (s.bytes_reserved - s.bytes_in_use);
  const size_t need = 2 * step_bytes + (size_t(1) << 30);
  auto_recompute_ = available < need;
  stats_.recompute_reason = std::string(auto_recompute_ ? "on" : "off") + " (automatic: " +
                            human_bytes(available) + " available, " + human_bytes(need) +
                            " wanted without it for a step of " + human_bytes(step_bytes) + ")";
}

bool TrainStep::record(std::string* why) {
  const Device dev = p_.model->device();
  if (forward_graph_.captured()) {  // a new steady shape replaces the recorded one
    stats_.recaptures++;
    drop_graphs();
  }
  // Recording runs the forward's host code, which counts a batch in every BN layer: undo that.
  std::vector<int32_t> counts;
  for (const Tensor& c : batch_counters_) counts.push_back(c.data_as<int32_t>()[0]);
  allocator_empty_cache(dev);  // the warm-up steps' cached blocks go back: the graph pool takes their place
  RecomputeGuard recompute(recompute_now());
  stats_.recompute = recompute_enabled();
  const bool recorded = forward_graph_.capture(dev, [this] { forward_backward(false); }, why);
  for (size_t i = 0; i < counts.size(); ++i) batch_counters_[i].data_as<int32_t>()[0] = counts[i];
  if (!recorded) return false;
  if (!tail_graph_.capture(dev, [this] { optimizer_tail(); }, why)) {
    forward_graph_.reset();
    return false;
  }
  stats_.captures++;
  graph_images_ = images_, graph_targets_ = targets_, graph_recompute_ = stats_.recompute;
  on_graph_shape_ = true;
  stats_.graph_bytes = forward_graph_.pool_bytes() + tail_graph_.pool_bytes();
  const StepGraph::MemoryPlanStats &fp = forward_graph_.memory_plan(), &tp = tail_graph_.memory_plan();
  stats_.graph_planned = fp.planned && !fp.diverged;
  stats_.graph_cache_bytes = fp.cached_pool_bytes + tp.cached_pool_bytes;
  stats_.graph_live_peak = fp.live_peak_bytes + tp.live_peak_bytes;
  stats_.graph_nodes = forward_graph_.num_nodes() + tail_graph_.num_nodes();
  return true;
}

const Tensor& TrainStep::run(const StepBatch& b, bool optimizer_step) {
  YE_CHECK(b.images && b.batch > 0 && b.height > 0 && b.width > 0 && (b.num_targets == 0 || b.targets),
           "TrainStep::run: empty batch");
  prepare_shape(b);
  upload(b);
  // Host parts of the step first: the graphs read the uploaded scalars when they run.
  if (optimizer_step) {
    p_.optimizer->prepare();
    if (p_.ema) p_.ema->prepare();
  }
  if (graphs_ok_ && warm_ >= p_.warmup_steps && !on_graph_shape_) {
    std::string why;
    if (!record(&why)) {
      graphs_ok_ = false;
      stats_.disabled_reason = "capture failed: " + why;
    }
  }
  if (graphs_ok_ && on_graph_shape_) {
    stats_.recompute = graph_recompute_;
    mark(TrainPhase::forward);  // the replay holds forward, loss and backward
    forward_graph_.replay();
    for (const Tensor& c : batch_counters_) c.data_as<int32_t>()[0] += 1;  // what an eager forward counts
    if (optimizer_step) mark(TrainPhase::optimizer), tail_graph_.replay();
    stats_.graph_steps++;
    return components_;
  }
  const bool decide = warm_ == 0 && p_.recompute == RecomputeMode::automatic && !recompute_chosen() &&
                      images_.device().is_cuda();
  const size_t in_use = decide ? allocator_stats(images_.device()).bytes_in_use : 0;
  if (decide) allocator_reset_peak(images_.device());
  {
    RecomputeGuard recompute(recompute_now());
    stats_.recompute = recompute_enabled();
    forward_backward(optimizer_step);
  }
  if (decide) choose_recompute(allocator_stats(images_.device()).peak_bytes_in_use - in_use);
  if (!decide && stats_.recompute_reason.empty())
    stats_.recompute_reason = std::string(stats_.recompute ? "on" : "off") +
                              (p_.recompute != RecomputeMode::automatic ? " (set by the caller)"
                               : recompute_chosen()                     ? " (YE_RECOMPUTE or a RecomputeGuard)"
                                                                        : " (automatic: host memory)");
  if (optimizer_step) optimizer_tail();
  warm_++;
  stats_.eager_steps++;
  return components_;
}

}  // namespace ye::yolo
