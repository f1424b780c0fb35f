// Concat / upsample / pool family on YOLOv8/YOLO11 n and s shapes: the channel concat of a C2f/C3k2
// block (two halves at P2 and P4, ops::concat; its backward hands out views, so forward only), nearest
// x2 upsampling of the head (P5 -> P4 and P4 -> P3, ops::upsample_nearest2x, forward + backward) and
// SPPF's 5x5 stride-1 max pool at P5 (ops::max_pool2d, forward + backward). GB/s counts each tensor
// read or written once (pool: plus the int32 argmax written and read), against the device copy bandwidth.
#include "bench/common/tensor_rows.h"
#include "bench/common/yolo_shapes.h"
#include "engine/nn_ops.h"

namespace ye::bench {
namespace {

std::vector<Tensor> backward_and_take(const Tensor& y, const Tensor& gy, const Tensor& x) {
  y.backward(gy);
  std::vector<Tensor> out = {y.detach(), x.grad()};
  x.set_grad(Tensor());
  return out;
}

MakeStep concat(int64_t hw, int64_t c) {
  return [=](const TensorCase& tc) -> Step {
    Tensor a = tc.input(Shape{tc.batch, hw, hw, c / 2}, -1.f, 1.f, 1);
    Tensor b = tc.input(Shape{tc.batch, hw, hw, c / 2}, -1.f, 1.f, 2);
    return [=] { return std::vector<Tensor>{ops::concat({a, b}, -1)}; };
  };
}

MakeStep upsample(int64_t hw, int64_t c) {
  return [=](const TensorCase& tc) -> Step {
    Tensor x = tc.input(Shape{tc.batch, hw, hw, c}, -1.f, 1.f, 1, true);
    Tensor gy = tc.input(Shape{tc.batch, 2 * hw, 2 * hw, c}, -1.f, 1.f, 2);
    return [=] { return backward_and_take(ops::upsample_nearest2x(x), gy, x); };
  };
}

MakeStep maxpool(int64_t hw, int64_t c) {
  return [=](const TensorCase& tc) -> Step {
    Tensor x = tc.input(Shape{tc.batch, hw, hw, c}, -1.f, 1.f, 1, true);
    Tensor gy = tc.input(Shape{tc.batch, hw, hw, c}, -1.f, 1.f, 2);
    return [=] { return backward_and_take(ops::max_pool2d(x, 5, 1, 2), gy, x); };
  };
}

struct Case {
  std::string what, where;
  int64_t hw, c;
  MakeStep make;
  double bytes_per_element_x_size;  // traffic / (numel of the hw x hw x c tensor * element size)
  double argmax_bytes_per_element;
};

void register_rows(const Options& opt, bool cuda) {
  const ShapeSweep sw = sweep(opt.short_mode);
  for (const ModelShapes& m : sw.models) {
    std::vector<Case> cases;
    for (int level : {2, 4}) {
      const int64_t hw = level_size(level), c = m.level_c[level - 1];
      cases.push_back({"concat_fwd", "p" + std::to_string(level), hw, c, concat(hw, c), 2.0, 0});  // numel of the output
    }
    for (int level : {5, 4}) {
      const int64_t hw = level_size(level), c = m.level_c[level - 1];
      cases.push_back({"upsample2x_fwd_bwd", "p" + std::to_string(level), hw, c, upsample(hw, c), 10.0, 0});
    }
    const int64_t c5 = m.level_c[4] / 2;
    cases.push_back({"maxpool5_fwd_bwd", "p5", 20, c5, maxpool(20, c5), 4.0, 8.0});
    for (const Case& k : cases) {
      TensorRow row;
      row.family = "resample";
      row.impl = "ours";
      row.what = k.what;
      row.label = k.what + " " + std::to_string(k.hw) + "x" + std::to_string(k.hw) + "x" + std::to_string(k.c);
      row.make = k.make;
      const double per = k.bytes_per_element_x_size;
      const double arg = k.argmax_bytes_per_element;
      const int64_t numel = k.hw * k.hw * k.c;
      row.work = [=](DType t, int64_t batch) {
        return RowWork{Where::cuda, Work::bytes, double(batch * numel) * (per * double(dtype_size(t)) + arg)};
      };
      row.tol = 1e-2;
      for (int64_t b : cuda ? sw.batches : std::vector<int64_t>{1}) {
        row.where = tag(m, b) + "/" + k.where;
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
