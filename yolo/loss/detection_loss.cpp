// DetectionLoss implementation: the levels gathered into box and class inputs, anchors, target upload
// and kernel dispatch.
#include "yolo/loss/detection_loss.h"

#include <algorithm>

#include "engine/autograd.h"
#include "engine/nn_ops.h"
#include "engine/ops.h"
#include "engine/ops/dispatch.h"

namespace ye::yolo {

void make_anchors(const std::vector<std::pair<int, int>>& level_hw, const std::vector<int>& strides,
                  std::vector<float>& anchors, std::vector<float>& anchor_strides) {
  anchors.clear();
  anchor_strides.clear();
  for (size_t l = 0; l < level_hw.size(); ++l) {
    auto [h, w] = level_hw[l];
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        anchors.push_back(float(x) + 0.5f);
        anchors.push_back(float(y) + 0.5f);
        anchor_strides.push_back(float(strides[l]));
      }
  }
}

DetectionLoss::DetectionLoss(int nc, std::vector<int> strides, kernels::DetLossParams params)
    : nc_(nc), strides_(std::move(strides)), params_(params) {}

const DetectionLoss::AnchorCache& DetectionLoss::anchors_for(const std::vector<Tensor>& feats) {
  Device dev = feats[0].device();
  std::vector<int64_t> key{int64_t(dev.kind), int64_t(dev.index)};
  std::vector<std::pair<int, int>> hw;
  for (const Tensor& f : feats) {
    key.push_back(f.dim(1));
    key.push_back(f.dim(2));
    hw.push_back({int(f.dim(1)), int(f.dim(2))});
  }
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  std::vector<float> a, s;
  make_anchors(hw, strides_, a, s);
  AnchorCache& c = cache_[key];
  c.anchors = Tensor::from_vector(a, {int64_t(s.size()), 2}, dev);
  c.strides = Tensor::from_vector(s, {int64_t(s.size())}, dev);
  return c;
}

int max_boxes_per_image(const float* rows, int64_t n, int64_t batch) {
  std::vector<int> per_image(size_t(batch), 0);
  for (int64_t i = 0; i < n; ++i) {
    int b = int(rows[i * 6]);
    YE_CHECK(b >= 0 && b < batch, "detection loss: target row ", i, " names image ", b, " of a batch of ", batch);
    per_image[size_t(b)]++;
  }
  return std::max(1, *std::max_element(per_image.begin(), per_image.end()));
}

bool pad_target_rows(const float* rows, int64_t n, int64_t batch, int64_t capacity, int max_boxes,
                     std::vector<float>& out) {
  if (n > capacity || (n > 0 && max_boxes_per_image(rows, n, batch) > max_boxes)) return false;
  out.assign(size_t(capacity) * 6, 0.0f);
  std::copy(rows, rows + n * 6, out.begin());
  for (int64_t i = n; i < capacity; ++i) out[size_t(i) * 6] = -1.0f;
  return true;
}

LossResult DetectionLoss::operator()(const std::vector<Tensor>& feats, const Tensor& targets, int img_h,
                                     int img_w, const Tensor& grad_scale) {
  YE_CHECK(targets.device().is_cpu() && targets.dtype() == DType::f32 && targets.ndim() == 2 &&
               (targets.dim(0) == 0 || targets.dim(1) == kernels::kDetTargetCols),
           "detection loss: targets must be (n, 6) f32 rows on the host, got ", targets.shape().str());
  YE_CHECK(!feats.empty(), "detection loss: no head outputs");
  const int64_t B = feats[0].dim(0);
  int64_t n = targets.numel() ? targets.dim(0) : 0;
  Tensor rows = targets.contiguous();
  const int max_boxes = max_boxes_per_image(rows.data_as<float>(), n, B);
  Device dev = feats[0].device();
  Tensor dev_rows = n ? (dev.is_cpu() ? rows : rows.to(dev)) : Tensor::zeros({1, 6}, DType::f32, dev);
  return compute(feats, dev_rows, n, max_boxes, img_h, img_w, grad_scale);
}

LossResult DetectionLoss::operator()(const std::vector<Tensor>& feats, const PaddedTargets& targets, int img_h,
                                     int img_w, const Tensor& grad_scale) {
  YE_CHECK(!feats.empty() && feats[0].device().is_cuda(), "detection loss: padded device targets need CUDA head outputs");
  YE_CHECK(targets.rows.device() == feats[0].device() && targets.rows.dtype() == DType::f32 &&
               targets.rows.ndim() == 2 && targets.rows.dim(1) == kernels::kDetTargetCols && targets.max_boxes > 0,
           "detection loss: padded targets must be (capacity, 6) f32 rows on ", feats[0].device().str(),
           " with max_boxes > 0, got ", targets.rows.shape().str(), " on ", targets.rows.device().str());
  return compute(feats, targets.rows, targets.rows.dim(0), targets.max_boxes, img_h, img_w, grad_scale);
}

LossResult DetectionLoss::compute(const std::vector<Tensor>& feats, const Tensor& dev_targets, int64_t n,
                                  int max_boxes, int img_h, int img_w, const Tensor& grad_scale) {
  YE_CHECK(feats.size() == strides_.size(), "detection loss: ", feats.size(), " head levels for ",
           strides_.size(), " strides");
  const int64_t B = feats[0].dim(0), no = 64 + nc_;
  // Each level as (B, h*w, 64 + nc) rows; the box and class channels of all levels are gathered straight
  // into the kernels' (B, A, 64) and (B, A, nc) inputs (one pass, no (B, A, 64 + nc) concat in between).
  std::vector<Tensor> flat, dists, scores;
  std::vector<int64_t> level_anchors;
  for (const Tensor& f : feats) {
    YE_CHECK(f.ndim() == 4 && f.dim(3) == no && f.dim(0) == B, "detection loss: head output ", f.shape().str(),
             " is not (B, H, W, ", no, ")");
    flat.push_back(ops::reshape(f, {B, f.dim(1) * f.dim(2), no}));
    dists.push_back(flat.back().detach().narrow_view(2, 0, 64));
    scores.push_back(flat.back().detach().narrow_view(2, 64, nc_));
    level_anchors.push_back(f.dim(1) * f.dim(2));
  }
  Tensor pd, ps;
  {
    NoGradGuard ng;
    pd = ops::concat(dists, 1);
    ps = ops::concat(scores, 1);
  }
  const int64_t A = pd.dim(1);
  Device dev = pd.device();
  DType dt = pd.dtype();
  const AnchorCache& anc = anchors_for(feats);
  Tensor gd = Tensor::empty(pd.shape(), dt, dev), gs = Tensor::empty(ps.shape(), dt, dev);
  Tensor loss = Tensor::empty({4}, DType::f32, dev);
  kernels::DetLossShape shape{int(B), int(A), nc_, max_boxes, img_h, img_w};
  if (grad_scale.defined())
    YE_CHECK(grad_scale.dtype() == DType::f32 && grad_scale.numel() == 1 && grad_scale.device() == dev &&
                 grad_scale.is_contiguous(),
             "detection loss: grad_scale must be one f32 value on ", dev.str(), ", got ", grad_scale.shape().str());
  kernels::DetLossInputs in{pd.data(),
                            ps.data(),
                            dt,
                            anc.anchors.data_as<float>(),
                            anc.strides.data_as<float>(),
                            dev_targets.data_as<float>(),
                            int(n),
                            grad_scale.defined() ? grad_scale.data_as<float>() : nullptr};
  kernels::DetLossOutputs out{loss.data_as<float>(), gd.data(), gs.data(), nullptr, nullptr, nullptr};
  if (dev.is_cpu()) {
    YE_CHECK(dt == DType::f32, "detection loss on the CPU needs f32 head outputs");
    kernels::cpu::det_loss(shape, params_, in, out);
  } else {
#ifdef YE_WITH_CUDA
    size_t ws = kernels::cuda::det_loss_workspace_bytes(shape, params_);
    Tensor workspace = Tensor::empty({int64_t(std::max<size_t>(ws, 1))}, DType::u8, dev);
    kernels::cuda::det_loss(shape, params_, in, out, workspace.data(), ws,
                            reinterpret_cast<CUstream_st*>(ops::detail::stream(loss)));
#else
    YE_REQUIRE_CUDA_BUILD(dev);
#endif
  }
  LossResult r;
  r.components = loss;
  r.total = loss.narrow_view(0, 3, 1).contiguous();
  if (any_requires_grad(flat)) {
    // Per level, its anchors' box and class gradients side by side: (B, h*w, 64 + nc), contiguous, so the
    // head's reshape takes it as it is.
    std::vector<Tensor> grads;
    {
      NoGradGuard ng;
      int64_t first = 0;
      for (int64_t n_level : level_anchors) {
        grads.push_back(ops::concat({gd.narrow_view(1, first, n_level), gs.narrow_view(1, first, n_level)}, 2));
        first += n_level;
      }
    }
    record_op(r.total, "detection_loss", flat, [grads, grad_scale](const Tensor& g) -> std::vector<Tensor> {
      if (grad_scale.defined()) {
        YE_CHECK(g.impl() == grad_scale.impl(), "detection loss: the gradients were written pre-scaled by grad_scale, "
                                                "so backward must be seeded with that tensor");
        return grads;
      }
      // Scale in f32 (the AMP loss scale itself may not fit in f16), then back to the head's dtype.
      std::vector<Tensor> scaled;
      for (const Tensor& t : grads)
        scaled.push_back(t.dtype() == DType::f32
                             ? ops::mul(t, g)
                             : ops::cast(ops::mul(ops::cast(t, DType::f32), ops::cast(g, DType::f32)), t.dtype()));
      return scaled;
    });
  }
  return r;
}

}  // namespace ye::yolo
