// Elementwise / cast family on the NHWC activations of YOLOv8/YOLO11 n and s at P2 and P4: casts from
// f32 to f16/bf16 (ops::cast), the residual add (ops::add), SiLU forward (ops::silu) and the gradient accumulation
// of a low-precision gradient into an f32 one (ops::add_). All are memory bound: GB/s counts each
// tensor read or written once, against the measured device copy bandwidth (the alternative).
#include "bench/common/tensor_rows.h"
#include "bench/common/yolo_shapes.h"
#include "engine/ops.h"

namespace ye::bench {
namespace {

TensorCase as_f32(TensorCase tc) {
  tc.dtype = tc.round = DType::f32;
  return tc;
}

// Casts go to f16/bf16; the CPU row (f32) casts to f16, its CUDA twins are the f16 and bf16 rows.
DType cast_target(DType t) { return t == DType::f32 ? DType::f16 : t; }

struct Op {
  const char* name;
  double bytes_per_element(DType t) const {  // traffic per element
    const double s = double(dtype_size(t));
    const std::string n = name;
    if (n == "cast_from_f32") return 4 + double(dtype_size(cast_target(t)));
    if (n == "add") return 3 * s;
    if (n == "silu") return 2 * s;
    return 8 + s;  // accumulate: read f32 dst and the gradient, write f32 dst
  }
};

MakeStep make(const std::string& op, int64_t hw, int64_t c) {
  return [=](const TensorCase& tc) -> Step {
    const Shape s{tc.batch, hw, hw, c};
    if (op == "cast_from_f32") {
      Tensor x = as_f32(tc).input(s, -3.f, 3.f, 1);
      const DType target = cast_target(tc.dtype);
      return [=] { return std::vector<Tensor>{ops::cast(x, target)}; };
    }
    if (op == "add") {
      Tensor a = tc.input(s, -1.f, 1.f, 1), b = tc.input(s, -1.f, 1.f, 2);
      return [=] { return std::vector<Tensor>{ops::add(a, b)}; };
    }
    if (op == "silu") {
      Tensor x = tc.input(s, -4.f, 4.f, 1);
      return [=] { return std::vector<Tensor>{ops::silu(x)}; };
    }
    Tensor g = tc.input(s, -1.f, 1.f, 1);
    Tensor acc = as_f32(tc).input(s, -1.f, 1.f, 2);
    return [=] {
      ops::add_(acc, g, 0.5f);
      return std::vector<Tensor>{acc};
    };
  };
}

void register_rows(const Options& opt, bool cuda) {
  const ShapeSweep sw = sweep(opt.short_mode);
  for (const char* op : {"cast_from_f32", "add", "silu", "accumulate_into_f32"})
    for (const ModelShapes& m : sw.models)
      for (int level : {2, 4}) {
        const int64_t hw = level_size(level), c = m.level_c[level - 1];
        TensorRow row;
        row.family = "elementwise";
        row.impl = "ours";
        row.what = op;
        row.label = std::string(op) + " " + std::to_string(hw) + "x" + std::to_string(hw) + "x" + std::to_string(c);
        const Op o{op};
        row.work = [=](DType t, int64_t batch) {
          return RowWork{Where::cuda, Work::bytes, o.bytes_per_element(t) * double(batch * hw * hw * c)};
        };
        row.tol = 1e-2;
        row.make = make(op, hw, c);
        for (int64_t b : cuda ? sw.batches : std::vector<int64_t>{1}) {
          row.where = tag(m, b) + "/p" + std::to_string(level);
          if (!cuda) {
            add_cpu_tensor_row(row, b, opt);
            continue;
          }
          for (DType t : {DType::f16, DType::bf16, DType::f32})
            if (row.what != "cast_from_f32" || t != DType::f32) add_cuda_tensor_row(row, t, b, opt);
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
