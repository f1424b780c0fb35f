// CUDA rows of the NMS family (bench/bench_nms.cpp): cuda::nms_detect in f16 and f32, trained and early
// score regimes, batch 16 and 64; before timing, batch 2 is compared with the CPU twin (same counts,
// same rows).
#include <memory>

#include "bench/common/cuda/gpu_loop.h"
#include "bench/common/harness.h"
#include "bench/common/nms_inputs.h"
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/nms_cuda.h"

namespace ye::bench {
namespace {

struct NmsFixture {
  kernels::NmsShape shape;
  kernels::NmsConfig cfg = nms_val_config();
  DType dtype;
  std::vector<float> host;  // rounded to dtype
  DeviceBuffer pred, ws, out, counts;
  size_t ws_bytes;
  NmsFixture(int batch, bool early, DType t) : shape(nms_shape(batch)), dtype(t) {
    host = round_to(nms_predictions(batch, early), t);
    pred = upload(host, t);
    ws_bytes = kernels::cuda::nms_workspace_bytes(shape, cfg);
    ws = DeviceBuffer(ws_bytes);
    out = DeviceBuffer(size_t(batch) * cfg.max_det * kernels::kNmsRow * 4);
    counts = DeviceBuffer(size_t(batch) * 4);
  }
  void step(cudaStream_t s) {
    kernels::cuda::nms_detect(pred.get(), dtype, shape, cfg, ws.get(), ws_bytes, out.as<float>(),
                              counts.as<int32_t>(), nullptr, s);
  }
};

std::string check(bool early, DType t) {
  const int batch = 2;
  NmsFixture f(batch, early, t);
  cudaStream_t s = cuda::context(0).stream;
  f.step(s);
  YE_CUDA_CHECK(cudaStreamSynchronize(s));
  const size_t rows = size_t(batch) * f.cfg.max_det;
  std::vector<float> got = download(f.out.get(), rows * kernels::kNmsRow, DType::f32);
  std::vector<int32_t> counts(batch);
  YE_CUDA_CHECK(cudaMemcpy(counts.data(), f.counts.get(), counts.size() * 4, cudaMemcpyDeviceToHost));
  std::vector<float> ref(rows * kernels::kNmsRow, 0.f);
  std::vector<int32_t> ref_counts(batch);
  const std::vector<uint16_t> bits = t == DType::f32 ? std::vector<uint16_t>() : to_bits16(f.host, t);
  const void* host = t == DType::f32 ? static_cast<const void*>(f.host.data()) : static_cast<const void*>(bits.data());
  kernels::cpu::nms_detect(host, t, f.shape, f.cfg, ref.data(), ref_counts.data());
  for (int b = 0; b < batch; ++b) {
    if (counts[b] != ref_counts[b])
      return "image " + std::to_string(b) + ": " + std::to_string(counts[b]) + " detections, CPU " +
             std::to_string(ref_counts[b]);
    const size_t first = size_t(b) * f.cfg.max_det * kernels::kNmsRow, n = size_t(counts[b]) * kernels::kNmsRow;
    const std::string err = compare(std::vector<float>(got.begin() + first, got.begin() + first + n),
                                    std::vector<float>(ref.begin() + first, ref.begin() + first + n), 1e-3, 1e-5,
                                    "image " + std::to_string(b) + " detections");
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace

void register_nms_cuda(const Options& opt) {
  for (bool early : {false, true})
    for (DType t : {DType::f16, DType::f32})
      for (int batch : opt.short_mode ? std::vector<int>{1} : std::vector<int>{16, 64}) {
        auto checked = std::make_shared<bool>(false);
        const std::string regime = early ? "early" : "trained";
        add_row("nms/ours/" + std::string(dtype_name(t)) + "/" + regime + "/b" + std::to_string(batch),
                [=](benchmark::State& st) {
                  cuda::set_device(0);
                  if (!*checked) {
                    const std::string err = check(early, t);
                    if (!err.empty()) return st.SkipWithError(err.c_str());
                    *checked = true;
                  }
                  NmsFixture f(batch, early, t);
                  cudaStream_t s = cuda::context(0).stream;
                  GpuLoop loop(s);
                  const double secs = loop.run(st, [&] { f.step(s); });
                  report(st, opt.ceilings,
                         {Where::cuda, Work::bytes, double(f.host.size()) * double(dtype_size(t))}, secs,
                         regime + " scores, 8400 anchors x 80 classes");
                });
      }
}

}  // namespace ye::bench
