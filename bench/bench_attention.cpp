// Attention family: the core of YOLO11's C2PSA attention at P5 (20x20 = 400 tokens; C2PSA's hidden
// width c/2 with 64-wide heads and 32-wide keys), as the engine runs it: scores = q k^T * key_dim^-0.5
// (ops::matmul), softmax over keys (ops::softmax), out = attn v (ops::matmul), forward + backward.
// TFLOP/s counts the four GEMMs of the forward and twice that for the backward; the softmax alone is
// a second row in GB/s. Shapes from yolo11n (c 256) and yolo11s (c 512) at batch 16 and 64.
#include <cmath>

#include "bench/common/tensor_rows.h"
#include "bench/common/yolo_shapes.h"
#include "engine/nn_ops.h"

namespace ye::bench {
namespace {

constexpr int64_t kTokens = 400, kKeyDim = 32, kHeadDim = 64;

struct Heads {
  int64_t heads;
  int64_t bh(int64_t batch) const { return batch * heads; }
};

MakeStep attention(Heads h) {
  return [=](const TensorCase& tc) -> Step {
    const int64_t bh = h.bh(tc.batch);
    Tensor q = tc.input(Shape{bh, kTokens, kKeyDim}, -1.f, 1.f, 1, true);
    Tensor k = tc.input(Shape{bh, kTokens, kKeyDim}, -1.f, 1.f, 2, true);
    Tensor v = tc.input(Shape{bh, kTokens, kHeadDim}, -1.f, 1.f, 3, true);
    Tensor gy = tc.input(Shape{bh, kTokens, kHeadDim}, -1.f, 1.f, 4);
    return [=] {
      Tensor scores = ops::mul_scalar(ops::matmul(q, k, false, true), 1.f / std::sqrt(float(kKeyDim)));
      Tensor y = ops::matmul(ops::softmax(scores, -1), v);
      y.backward(gy);
      std::vector<Tensor> out = {y.detach(), q.grad(), k.grad(), v.grad()};
      for (const Tensor& t : {q, k, v}) t.set_grad(Tensor());
      return out;
    };
  };
}

MakeStep softmax_only(Heads h) {
  return [=](const TensorCase& tc) -> Step {
    Tensor s = tc.input(Shape{h.bh(tc.batch), kTokens, kTokens}, -4.f, 4.f, 1);
    return [=] { return std::vector<Tensor>{ops::softmax(s, -1)}; };
  };
}

void register_rows(const Options& opt, bool cuda) {
  const ShapeSweep sw = sweep(opt.short_mode);
  for (const ModelShapes& m : sw.models) {
    if (m.name[0] != '1') continue;  // C2PSA is YOLO11's
    const Heads h{m.level_c[4] / 2 / kHeadDim};
    for (bool full : {true, false}) {
      TensorRow row;
      row.family = "attention";
      row.impl = "ours";
      row.what = full ? "c2psa_core_fwd_bwd" : "softmax_fwd";
      row.label = std::to_string(h.heads) + " heads x 400 tokens, key " + std::to_string(kKeyDim) + ", value " +
                  std::to_string(kHeadDim);
      row.make = full ? attention(h) : softmax_only(h);
      row.work = [=](DType t, int64_t batch) {
        const double bh = double(h.bh(batch)), nn = double(kTokens) * kTokens;
        if (!full) return RowWork{Where::cuda, Work::bytes, 2.0 * bh * nn * double(dtype_size(t))};
        return RowWork{Where::cuda, Work::flops, 3.0 * 2.0 * bh * nn * double(kKeyDim + kHeadDim), t};
      };
      row.tol = 2e-2;
      for (int64_t b : cuda ? sw.batches : std::vector<int64_t>{1}) {
        row.where = tag(m, b) + "/p5";
        if (!cuda) {
          add_cpu_tensor_row(row, b, opt);
          continue;
        }
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
