// Entry points of the CUDA detection loss (kernels/det_loss.h): workspace size and layout, argument
// checks, and the two stages (assigner in det_loss_assign.cu, losses and gradients in
// det_loss_compute.cu), all enqueued on the caller's stream without host synchronisation.
#include "kernels/error.h"
#include "kernels/cuda/det_loss_cuda.cuh"

namespace ye::kernels::cuda {

namespace detloss_impl {

Workspace carve_workspace(const DetLossShape& s, void* base, size_t* bytes_needed) {
  const size_t B = size_t(s.batch), A = size_t(s.anchors), M = size_t(s.max_boxes);
  size_t offset = 0;
  auto* bytes = static_cast<char*>(base);
  auto take = [&](size_t n) {
    char* p = bytes ? bytes + offset : nullptr;
    offset += (n + 255) / 256 * 256;
    return p;
  };
  Workspace w;
  w.gt = reinterpret_cast<float*>(take(B * M * 5 * sizeof(float)));
  w.counts = reinterpret_cast<int32_t*>(take(B * sizeof(int32_t)));
  w.pred_box = reinterpret_cast<float*>(take(B * A * 4 * sizeof(float)));
  w.claims = reinterpret_cast<int32_t*>(take(B * A * sizeof(int32_t)));
  w.first_claim = reinterpret_cast<int32_t*>(take(B * A * sizeof(int32_t)));
  w.assigned = reinterpret_cast<int32_t*>(take(B * A * sizeof(int32_t)));
  w.align = reinterpret_cast<float*>(take(B * A * sizeof(float)));
  w.overlap = reinterpret_cast<float*>(take(B * A * sizeof(float)));
  w.pos_align = reinterpret_cast<uint32_t*>(take(B * M * sizeof(uint32_t)));
  w.pos_overlap = reinterpret_cast<uint32_t*>(take(B * M * sizeof(uint32_t)));
  w.norm = reinterpret_cast<float*>(take(B * A * sizeof(float)));
  w.partials = reinterpret_cast<float*>(take(4 * kReduceBlocks * sizeof(float)));
  w.scalars = reinterpret_cast<float*>(take(4 * sizeof(float)));
  if (bytes_needed) *bytes_needed = offset;
  return w;
}

}  // namespace detloss_impl

size_t det_loss_workspace_bytes(const DetLossShape& shape, const DetLossParams& params) {
  size_t n = 0;
  detloss_impl::carve_workspace(shape, nullptr, &n);
  return n;
}

void det_loss(const DetLossShape& s, const DetLossParams& p, const DetLossInputs& in, const DetLossOutputs& out,
              void* workspace, size_t workspace_bytes, CUstream_st* stream) {
  YE_CHECK(s.batch > 0 && s.anchors > 0 && s.classes > 0 && s.max_boxes >= 0 && s.img_h > 0 && s.img_w > 0,
           "cuda::det_loss: bad shape B=", s.batch, " A=", s.anchors, " nc=", s.classes, " M=", s.max_boxes,
           " img=", s.img_h, "x", s.img_w);
  YE_CHECK(p.topk >= 1 && p.topk <= kDetMaxTopk && p.topk <= s.anchors, "cuda::det_loss: topk ", p.topk,
           " must be in [1, min(", kDetMaxTopk, ", A=", s.anchors, ")]");
  YE_CHECK(dtype_is_float(in.dtype), "cuda::det_loss: logits must be f32, f16 or bf16, got ", dtype_name(in.dtype));
  YE_CHECK(in.pred_distri && in.pred_scores && in.anchors && in.strides && out.loss,
           "cuda::det_loss: null input/output pointer");
  YE_CHECK(in.num_targets == 0 || in.targets, "cuda::det_loss: targets is null with num_targets=", in.num_targets);
  size_t need = 0;
  const detloss_impl::Workspace ws = detloss_impl::carve_workspace(s, workspace, &need);
  YE_CHECK(workspace && workspace_bytes >= need, "cuda::det_loss: workspace of ", workspace_bytes,
           " bytes, needs ", need, " (det_loss_workspace_bytes)");
  detloss_impl::launch_assign(s, p, in, out, ws, stream);
  detloss_impl::launch_loss(s, p, in, out, ws, stream);
}

}  // namespace ye::kernels::cuda
