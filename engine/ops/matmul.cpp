// Matrix products (2-D and batched 3-D, optional transposes) with backward. CPU through Eigen,
// CUDA through cuBLAS (engine/cuda/gemm.h).
#include <Eigen/Core>

#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/gemm.h"
#endif

namespace ye::ops {
namespace {
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Tensor matmul_forward(const Tensor& a0, const Tensor& b0, bool ta, bool tb) {
  detail::check_same_device(a0, b0, "matmul");
  detail::check_same_dtype(a0, b0, "matmul");
  YE_CHECK(a0.ndim() == b0.ndim() && (a0.ndim() == 2 || a0.ndim() == 3), "matmul needs two 2-D or two 3-D tensors, got ",
           a0.shape().str(), " and ", b0.shape().str());
  Tensor a = a0.contiguous(), b = b0.contiguous();
  bool batched = a.ndim() == 3;
  int64_t batch = batched ? a.dim(0) : 1;
  YE_CHECK(!batched || b.dim(0) == batch, "matmul batch sizes differ: ", a.shape().str(), " and ", b.shape().str());
  int64_t ar = a.dim(-2), ac = a.dim(-1), br = b.dim(-2), bc = b.dim(-1);
  int64_t m = ta ? ac : ar, k = ta ? ar : ac, kb = tb ? bc : br, n = tb ? br : bc;
  YE_CHECK(k == kb, "matmul inner dimensions differ: ", a.shape().str(), (ta ? "^T" : ""), " x ", b.shape().str(),
           (tb ? "^T" : ""));
  Shape out_shape = batched ? Shape{batch, m, n} : Shape{m, n};
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  if (a.device().is_cpu()) {
    detail::check_cpu_f32(a, "matmul");
    for (int64_t i = 0; i < batch; ++i) {
      Eigen::Map<const RowMat> A(a.data_as<float>() + i * ar * ac, ar, ac);
      Eigen::Map<const RowMat> B(b.data_as<float>() + i * br * bc, br, bc);
      Eigen::Map<RowMat> C(out.data_as<float>() + i * m * n, m, n);
      if (!ta && !tb) C.noalias() = A * B;
      if (ta && !tb) C.noalias() = A.transpose() * B;
      if (!ta && tb) C.noalias() = A * B.transpose();
      if (ta && tb) C.noalias() = A.transpose() * B.transpose();
    }
  } else {
#ifdef YE_WITH_CUDA
    detail::stream(a);
    cuda::gemm_row_major(cuda::context(a.device().index), a.dtype(), ta, tb, m, n, k, 1.0f, a.data(), ar * ac,
                         b.data(), br * bc, 0.0f, out.data(), m * n, batch);
#else
    YE_REQUIRE_CUDA_BUILD(a.device());
#endif
  }
  return out;
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  Tensor out = matmul_forward(a, b, ta, tb);
  if (any_requires_grad({a, b})) {
    Tensor sa = a.detach(), sb = b.detach();
    bool ga = a.requires_grad(), gb = b.requires_grad();
    record_op(out, "matmul", {a, b}, [sa, sb, ta, tb, ga, gb](const Tensor& g) -> std::vector<Tensor> {
      Tensor da, db;
      if (ga) da = ta ? matmul_forward(sb, g, tb, true) : matmul_forward(g, sb, false, !tb);
      if (gb) db = tb ? matmul_forward(g, sa, true, ta) : matmul_forward(sa, g, !ta, false);
      return {da, db};
    });
  }
  return out;
}

}  // namespace ye::ops
