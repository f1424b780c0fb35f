// Test harness shared by every suite: fresh random tensors (seed printed on failure), closeness checks
// (|a-b| <= atol + rtol*|ref|, NaN always fails), NaN poisoning, a numeric gradient checker (central
// differences, double accumulation) and a CUDA-vs-CPU comparator for ops with their gradients.
#pragma once
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/ops.h"

namespace ye::test {

// A seed that differs per run (fresh inputs), reported by the checks so a failure can be replayed
// with YE_TEST_SEED=<seed>.
uint64_t fresh_seed();

Tensor random_uniform(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f,
                      Device device = Device::cpu(), DType dtype = DType::f32);

// Fills a tensor with NaN so an element a kernel forgot to write fails the comparison.
void poison(const Tensor& t);

struct CloseResult {
  bool ok = true;
  double max_abs_err = 0, max_rel_err = 0;
  int64_t worst_index = -1, nan_count = 0;
  std::string summary() const;
};
CloseResult compare(const std::vector<float>& actual, const std::vector<float>& ref, double atol, double rtol);
CloseResult compare(const Tensor& actual, const Tensor& ref, double atol, double rtol);

// CHECKs that `actual` matches `ref` and reports the worst element and the seed.
void check_close(const Tensor& actual, const Tensor& ref, double atol, double rtol, const std::string& what = "");
void check_close(const std::vector<float>& actual, const std::vector<float>& ref, double atol, double rtol,
                 const std::string& what = "");

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Numeric gradient check of fn at `inputs` (CPU f32): compares the autograd gradient of
// L = sum(fn(x) * w) (w fixed random weights) with central differences of L computed in double.
// Only inputs with requires_grad set are checked. Returns true when every element is within tolerance.
bool gradient_check(const TensorFn& fn, std::vector<Tensor> inputs, double eps = 1e-2, double atol = 2e-3,
                    double rtol = 2e-2, uint64_t seed = 0);

// Runs fn on CPU in f32 and on CUDA in `dtype` with the same inputs; CHECKs outputs and the gradients
// of sum(out * w) for every input that requires grad. Returns false (after a MESSAGE) without CUDA.
bool compare_cuda_to_cpu(const TensorFn& fn, const std::vector<Tensor>& cpu_inputs, DType dtype, double atol,
                         double rtol, const std::string& what = "");

bool cuda_present();

// The reference's Python interpreter for cases that need the reference (named "reference: ...", marked
// doctest::skip() and run by ctest through tests/parity/with_reference.sh, which sets
// YE_PARITY_PYTHON and reports the entry skipped where the parity venv is absent). Fails the case
// when the variable is not set.
std::string reference_python();

}  // namespace ye::test
