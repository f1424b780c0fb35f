// Rows of the families that run engine ops on Tensors (BN+activation, elementwise/cast, concat/upsample/
// pool, attention): a family describes a case once, as a function that builds the inputs on a device and
// returns the step to time; the harness registers it as a CPU row (f32, the reference) and as CUDA rows
// (per dtype and batch), each CUDA row first compared with the CPU result at batch 1.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "bench/common/harness.h"
#include "engine/tensor.h"

namespace ye::bench {

// Where and how a case builds its inputs: device, dtype, the dtype the values are rounded to first
// (the CUDA row's, so the CPU reference sees the same numbers), and the batch.
struct TensorCase {
  Device device = Device::cpu();
  DType dtype = DType::f32;
  DType round = DType::f32;
  int64_t batch = 1;
  // Uniform values in [lo, hi) (philox, ops::uniform_), the same on every device for the same seed;
  // on the CPU rounded to `round` first.
  Tensor input(const Shape& shape, float lo, float hi, uint64_t seed, bool requires_grad = false) const;
};

// One timed step; returns the tensors to compare (outputs and gradients).
using Step = std::function<std::vector<Tensor>()>;
using MakeStep = std::function<Step(const TensorCase&)>;

struct TensorRow {
  std::string family;   // "bn_act"
  std::string impl;     // "ours", "unfused", ... (CPU rows are "cpu")
  std::string what;     // "fwd_bwd", "fwd", ...
  std::string where;    // model/batch tag and case name, e.g. "v8n_b16/p2"
  std::string label;    // shape description
  MakeStep make;
  std::function<RowWork(DType dtype, int64_t batch)> work;  // what one step moves or computes
  double tol = 1e-2;    // f16 tolerance (atol = tol * max|ref|, rtol = tol); x3 for bf16, /10 for f32
};

// CPU row "family/cpu/f32/what/where" at row.batch = the batch in `where`.
void add_cpu_tensor_row(const TensorRow& row, int64_t batch, const Options& opt);
// CUDA row "family/impl/dtype/what/where" (compares with the CPU at batch 1 before timing).
void add_cuda_tensor_row(const TensorRow& row, DType dtype, int64_t batch, const Options& opt);

// Compares every tensor (converted to f32 on the host) with atol = tol * max|ref| and rtol = tol.
std::string compare_tensors(const std::vector<Tensor>& got, const std::vector<Tensor>& ref, double tol);

}  // namespace ye::bench
