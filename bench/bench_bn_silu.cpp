// BN + activation family: batch norm with training statistics fused with SiLU (ops::batch_norm with
// silu, one op) against batch_norm followed by ops::silu, forward + backward, on the NHWC activations
// of YOLOv8/YOLO11 n and s at P2 (160x160) and P4 (40x40). GB/s counts the fused pair's minimum
// traffic, 7 x numel x element size (forward reads x twice and writes y; backward reads x and dy
// twice and writes dx), for both implementations.
#include "bench/common/tensor_rows.h"
#include "bench/common/yolo_shapes.h"
#include "engine/nn_ops.h"

namespace ye::bench {
namespace {

MakeStep bn_silu(int64_t hw, int64_t c, bool fused) {
  return [=](const TensorCase& tc) -> Step {
    const Shape s{tc.batch, hw, hw, c};
    Tensor x = tc.input(s, -2.f, 3.f, 1, true), gy = tc.input(s, -1.f, 1.f, 2);
    const Device dev = tc.device;
    Tensor w = Tensor::from_vector(random_values(size_t(c), 0.5f, 1.5f, 3), Shape{c}, dev).set_requires_grad(true);
    Tensor b = Tensor::from_vector(random_values(size_t(c), -0.5f, 0.5f, 4), Shape{c}, dev).set_requires_grad(true);
    Tensor rm = Tensor::full(Shape{c}, 0.1f, DType::f32, dev), rv = Tensor::full(Shape{c}, 1.f, DType::f32, dev);
    return [=]() -> std::vector<Tensor> {
      Tensor y = fused ? ops::batch_norm(x, w, b, rm, rv, {true, 0.03f, 1e-3f, true})
                       : ops::silu(ops::batch_norm(x, w, b, rm, rv, {true, 0.03f, 1e-3f, false}));
      y.backward(gy);
      std::vector<Tensor> out = {y.detach(), x.grad(), w.grad(), b.grad()};
      x.set_grad(Tensor());
      w.set_grad(Tensor());
      b.set_grad(Tensor());
      return out;
    };
  };
}

void register_rows(const Options& opt, bool cuda) {
  const ShapeSweep sw = sweep(opt.short_mode);
  for (const ModelShapes& m : sw.models)
    for (int level : {2, 4}) {
      const int64_t hw = level_size(level), c = m.level_c[level - 1];
      for (bool fused : {true, false}) {
        TensorRow row;
        row.family = "bn_act";
        row.impl = fused ? "ours_fused" : "unfused";
        row.what = "fwd_bwd";
        row.label = (fused ? "bn+silu fused " : "bn then silu ") + std::to_string(hw) + "x" + std::to_string(hw) +
                    "x" + std::to_string(c);
        row.make = bn_silu(hw, c, fused);
        row.work = [=](DType t, int64_t batch) {
          return RowWork{Where::cuda, Work::bytes, 7.0 * double(batch * hw * hw * c) * double(dtype_size(t))};
        };
        row.tol = 2e-2;
        if (!cuda) {
          row.where = tag(m, 1) + "/p" + std::to_string(level);
          add_cpu_tensor_row(row, 1, opt);
          continue;
        }
        for (int64_t b : sw.batches) {
          row.where = tag(m, b) + "/p" + std::to_string(level);
          for (DType t : {DType::f16, DType::bf16, DType::f32}) add_cuda_tensor_row(row, t, b, opt);
        }
      }
    }
}

}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
  using namespace ye::bench;
  return run_suite(argc, argv, [](const Options& o) { register_rows(o, false); },
                   [](const Options& o) { register_rows(o, true); });
}
