// CUDA loss/gradient stage of the detection loss: loss_scalars (target-score sum, gradient factors with
// the batch size and the optional device-side loss scale), cls_loss (BCE-with-logits + gradient,
// elementwise), box_loss (4 lanes per anchor: DFL decode, CIoU and its gradient through the decode, DFL
// cross-entropy; zero gradients on background), finalize (partial sums -> the 4 loss values).
#include <cub/block/block_reduce.cuh>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/det_loss_cuda.cuh"
#include "kernels/det_loss_math.h"

namespace ye::kernels::cuda::detloss_impl {
namespace {

namespace dl = kernels::detloss;

struct SumDouble {
  __device__ double operator()(double a, double b) const { return a + b; }
};
struct SumFloat {
  __device__ float operator()(float a, float b) const { return a + b; }
};

// Deterministic sum of kReduceBlocks partials by one block.
__device__ double sum_partials(const float* partials) {
  using Reduce = cub::BlockReduce<double, kBlock>;
  __shared__ typename Reduce::TempStorage tmp;
  double local = 0.0;
  for (int i = threadIdx.x; i < kReduceBlocks; i += kBlock) local += partials[i];
  const double r = Reduce(tmp).Reduce(local, SumDouble());
  __syncthreads();
  return r;  // valid in thread 0
}

__global__ void loss_scalars_kernel(Workspace ws, int B, float box_gain, float cls_gain, float dfl_gain,
                                    const float* grad_scale) {
  const double sum = sum_partials(ws.partials);
  if (threadIdx.x == 0) {
    const double tss = sum > 1.0 ? sum : 1.0;
    const double k = double(B) * (grad_scale ? double(*grad_scale) : 1.0) / tss;
    ws.scalars[0] = float(tss);
    ws.scalars[1] = float(box_gain * k);
    ws.scalars[2] = float(cls_gain * k);
    ws.scalars[3] = float(dfl_gain * k);
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) cls_loss_kernel(Workspace ws, const T* scores, int A, int M, int nc,
                                                          int64_t n, T* grad) {
  using Reduce = cub::BlockReduce<float, kBlock>;
  __shared__ typename Reduce::TempStorage tmp;
  const float g_cls = ws.scalars[2];
  float local = 0.0f;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ba = e / nc;
    const int c = int(e - ba * nc);
    const int g = ws.assigned[ba];
    float target = 0.0f;
    if (g >= 0 && c == max(int(ws.gt[(size_t(ba / A) * M + g) * 5]), 0)) target = ws.norm[ba];
    float dx;
    local += dl::bce_with_logits<float>(to_f32<T>(scores[e]), target, &dx);
    if (grad) grad[e] = from_f32<T>(dx * g_cls);
  }
  const float sum = Reduce(tmp).Reduce(local, SumFloat());
  if (threadIdx.x == 0) ws.partials[kReduceBlocks + blockIdx.x] = sum;
}

template <class T>
__global__ void __launch_bounds__(kBlock) box_loss_kernel(Workspace ws, const T* distri, const float* anchors,
                                                          const float* strides, int A, int M, int64_t n, T* grad) {
  using Reduce = cub::BlockReduce<float, kBlock>;
  __shared__ typename Reduce::TempStorage tmp;
  const float g_box = ws.scalars[1], g_dfl = ws.scalars[3];
  const int lane = threadIdx.x & 31;
  const unsigned group = 0xfu << (lane & ~3);  // the 4 lanes (sides) of one anchor
  float local_iou = 0.0f, local_dfl = 0.0f;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ba = i >> 2;
    const int side = int(i & 3);
    float z[16], gz[16];
    load16(distri + ba * kDetBoxChannels + side * 16, z);
    const float dist = dl::decode_side_s<float>(z);
    const float d0 = __shfl_sync(group, dist, (lane & ~3) + 0), d1 = __shfl_sync(group, dist, (lane & ~3) + 1);
    const float d2 = __shfl_sync(group, dist, (lane & ~3) + 2), d3 = __shfl_sync(group, dist, (lane & ~3) + 3);
    const int g = ws.assigned[ba];
    if (g < 0) {
#pragma unroll
      for (int j = 0; j < 16; ++j) gz[j] = 0.0f;
    } else {
      const int a = int(ba % A);
      const float* row = ws.gt + (size_t(ba / A) * M + g) * 5;
      const float w = ws.norm[ba], st = strides[a], ax = anchors[2 * a], ay = anchors[2 * a + 1];
      // CIoU is translation invariant: boxes relative to the anchor keep f32 precision for small boxes
      // far from the origin (the predicted corners are then exactly -l, -t, r, b).
      const float tb[4] = {dl::fsub(dl::fdiv(row[1], st), ax), dl::fsub(dl::fdiv(row[2], st), ay),
                           dl::fsub(dl::fdiv(row[3], st), ax), dl::fsub(dl::fdiv(row[4], st), ay)};
      const float pb[4] = {-d0, -d1, d2, d3};
      const dl::CiouGrad<float> ci = dl::ciou_and_grad<float>(pb, tb);
      const float target_dist = side == 0 ? -tb[0] : side == 1 ? -tb[1] : side == 2 ? tb[2] : tb[3];
      const float d_side = side == 0 ? -ci.d[0] : side == 1 ? -ci.d[1] : side == 2 ? ci.d[2] : ci.d[3];
      const dl::DflTarget t = dl::dfl_target(target_dist);
      local_dfl += dl::dfl_side<float>(z, t.tl, t.wl, t.wr, w * g_dfl * 0.25f, -w * g_box * d_side, gz) * 0.25f * w;
      if (side == 0) local_iou += (1.0f - ci.ciou) * w;
    }
    if (grad) store16(grad + ba * kDetBoxChannels + side * 16, gz);
  }
  const float iou = Reduce(tmp).Reduce(local_iou, SumFloat());
  __syncthreads();
  const float dfl = Reduce(tmp).Reduce(local_dfl, SumFloat());
  if (threadIdx.x == 0) {
    ws.partials[2 * kReduceBlocks + blockIdx.x] = iou;
    ws.partials[3 * kReduceBlocks + blockIdx.x] = dfl;
  }
}

__global__ void finalize_kernel(Workspace ws, int B, float box_gain, float cls_gain, float dfl_gain, float* loss) {
  const double cls = sum_partials(ws.partials + kReduceBlocks);
  const double iou = sum_partials(ws.partials + 2 * kReduceBlocks);
  const double dfl = sum_partials(ws.partials + 3 * kReduceBlocks);
  if (threadIdx.x == 0) {
    const double tss = ws.scalars[0];
    const double box_v = iou / tss * box_gain, cls_v = cls / tss * cls_gain, dfl_v = dfl / tss * dfl_gain;
    loss[0] = float(box_v);
    loss[1] = float(cls_v);
    loss[2] = float(dfl_v);
    loss[3] = float((box_v + cls_v + dfl_v) * B);
  }
}

}  // namespace

void launch_loss(const DetLossShape& s, const DetLossParams& p, const DetLossInputs& in, const DetLossOutputs& out,
                 const Workspace& ws, cudaStream_t stream) {
  const int B = s.batch, A = s.anchors, M = s.max_boxes, nc = s.classes;
  loss_scalars_kernel<<<1, kBlock, 0, stream>>>(ws, B, p.box_gain, p.cls_gain, p.dfl_gain, in.grad_scale);
  YE_CUDA_CHECK(cudaGetLastError());
  YE_DISPATCH_FLOAT(in.dtype, T, {
    cls_loss_kernel<T><<<kReduceBlocks, kBlock, 0, stream>>>(ws, static_cast<const T*>(in.pred_scores), A, M, nc,
                                                             int64_t(B) * A * nc, static_cast<T*>(out.grad_scores));
    YE_CUDA_CHECK(cudaGetLastError());
    box_loss_kernel<T><<<kReduceBlocks, kBlock, 0, stream>>>(ws, static_cast<const T*>(in.pred_distri), in.anchors,
                                                             in.strides, A, M, int64_t(B) * A * 4,
                                                             static_cast<T*>(out.grad_distri));
    YE_CUDA_CHECK(cudaGetLastError());
  });
  finalize_kernel<<<1, kBlock, 0, stream>>>(ws, B, p.box_gain, p.cls_gain, p.dfl_gain, out.loss);
  YE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ye::kernels::cuda::detloss_impl
