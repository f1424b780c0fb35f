// The CUDA path of nms_to_host (see yolo/val/postprocess.h): batched NMS on the predictions' device and
// stream, then the per-image counts and only the kept rows are copied back to the host.
#include <cuda_runtime.h>

#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/error.h"
#include "kernels/cuda/nms_cuda.h"
#include "yolo/val/postprocess.h"

namespace ye::yolo {

std::vector<std::vector<float>> nms_to_host_cuda(const Tensor& decoded, const kernels::NmsConfig& cfg) {
  YE_CHECK(decoded.device().is_cuda(), "nms_to_host_cuda: predictions are not on a CUDA device");
  const Tensor p = decoded.contiguous();
  const Device dev = p.device();
  cuda::set_device(dev.index);
  cuda::DeviceContext& ctx = cuda::context(dev.index);
  kernels::NmsShape shape{int(p.dim(0)), int(p.dim(1) - 4), int(p.dim(2)), kernels::PredLayout::channels_first};
  Tensor out = Tensor::empty(Shape{shape.batch, cfg.max_det, kernels::kNmsRow}, DType::f32, dev);
  Tensor counts = Tensor::empty(Shape{shape.batch}, DType::i32, dev);
  const size_t ws_bytes = kernels::cuda::nms_workspace_bytes(shape, cfg);
  void* ws = ctx.workspace(ws_bytes);
  kernels::cuda::nms_detect(p.data(), p.dtype(), shape, cfg, ws, ws_bytes, out.data_as<float>(),
                            counts.data_as<int32_t>(), nullptr, ctx.stream);
  std::vector<int32_t> n(size_t(shape.batch));
  YE_CUDA_CHECK(cudaMemcpyAsync(n.data(), counts.data(), n.size() * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                ctx.stream));
  YE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  std::vector<std::vector<float>> rows(size_t(shape.batch));
  const size_t image_floats = size_t(cfg.max_det) * kernels::kNmsRow;
  for (size_t b = 0; b < rows.size(); ++b) {
    YE_CHECK(n[b] >= 0 && n[b] <= cfg.max_det, "nms_to_host_cuda: bad detection count ", n[b]);
    rows[b].resize(size_t(n[b]) * kernels::kNmsRow);
    if (n[b] > 0)
      YE_CUDA_CHECK(cudaMemcpyAsync(rows[b].data(), out.data_as<float>() + b * image_floats,
                                    rows[b].size() * sizeof(float), cudaMemcpyDeviceToHost, ctx.stream));
  }
  YE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  return rows;
}

}  // namespace ye::yolo
