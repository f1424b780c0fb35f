// Registration and bodies of the Tensor-op rows (bench/common/tensor_rows.h): CPU rows timed on the wall
// clock, CUDA rows (CUDA builds) with GpuLoop on the device's compute stream after the batch-1 check.
#include "bench/common/tensor_rows.h"

#include <cmath>
#include <memory>

#include "engine/ops.h"
#ifdef YE_WITH_CUDA
#include "bench/common/cuda/gpu_loop.h"
#include "engine/cuda/context.h"
#endif

namespace ye::bench {

Tensor TensorCase::input(const Shape& shape, float lo, float hi, uint64_t seed, bool requires_grad) const {
  // Counter-based (philox) values: the same seed gives the same numbers on the CPU and the GPU, generated
  // where the tensor lives (no host round trip for the large batch-64 activations).
  Generator gen(seed);
  Tensor t = Tensor::empty(shape, device.is_cpu() ? DType::f32 : dtype, device);
  ops::uniform_(t, lo, hi, gen);
  if (device.is_cpu() && round != DType::f32) t = ops::cast(ops::cast(t, round), DType::f32);
  if (device.is_cpu() && dtype != DType::f32) t = ops::cast(t, dtype);
  t = t.detach();
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

std::string compare_tensors(const std::vector<Tensor>& got, const std::vector<Tensor>& ref, double tol) {
  if (got.size() != ref.size()) return "the case returned a different number of tensors on the two devices";
  for (size_t i = 0; i < got.size(); ++i) {
    const std::vector<float> g = got[i].to_vector(), r = ref[i].to_vector();
    const std::string err = compare(g, r, tol * max_abs(r), tol, "output " + std::to_string(i));
    if (!err.empty()) return err;
  }
  return "";
}

namespace {
std::string row_name(const TensorRow& row, const std::string& impl, DType t) {
  return row.family + "/" + impl + "/" + std::string(dtype_name(t)) + "/" + row.what + "/" + row.where;
}
}  // namespace

void add_cpu_tensor_row(const TensorRow& row, int64_t batch, const Options& opt) {
  add_row(row_name(row, "cpu", DType::f32), [row, batch, opt](benchmark::State& st) {
    Step step = row.make({Device::cpu(), DType::f32, DType::f32, batch});
    const double s = time_cpu(st, [&] { step(); });
    RowWork w = row.work(DType::f32, batch);
    w.where = Where::cpu;
    report(st, opt.ceilings, w, s, row.label);
  });
}

#ifdef YE_WITH_CUDA
void add_cuda_tensor_row(const TensorRow& row, DType dtype, int64_t batch, const Options& opt) {
  auto checked = std::make_shared<bool>(false);
  add_row(row_name(row, row.impl, dtype), [row, dtype, batch, opt, checked](benchmark::State& st) {
    const Device dev = Device::cuda(0);
    cuda::set_device(0);
    if (!*checked) {
      const std::vector<Tensor> got = row.make({dev, dtype, dtype, 1})();
      const std::vector<Tensor> ref = row.make({Device::cpu(), DType::f32, dtype, 1})();
      const double tol = dtype == DType::f32 ? row.tol / 10 : dtype == DType::bf16 ? row.tol * 3 : row.tol;
      const std::string err = compare_tensors(got, ref, tol);
      if (!err.empty()) return st.SkipWithError(err.c_str());
      *checked = true;
    }
    Step step = row.make({dev, dtype, dtype, batch});
    GpuLoop loop(cuda::context(0).stream);
    const double s = loop.run(st, [&] { step(); });
    RowWork w = row.work(dtype, batch);
    w.where = Where::cuda;
    report(st, opt.ceilings, w, s, row.label);
  });
}
#else
void add_cuda_tensor_row(const TensorRow&, DType, int64_t, const Options&) {}
#endif

}  // namespace ye::bench
