// Implementation of the shared test harness (see harness.h).
#include "harness.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace ye::test {
namespace {
uint64_t run_seed() {
  static uint64_t seed = [] {
    if (const char* env = std::getenv("YE_TEST_SEED")) return uint64_t(std::strtoull(env, nullptr, 10));
    return uint64_t(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  }();
  return seed;
}
}  // namespace

uint64_t fresh_seed() {
  static uint64_t counter = 0;
  return run_seed() + 0x9E3779B97F4A7C15ull * ++counter;
}

Tensor random_uniform(const Shape& shape, uint64_t seed, float lo, float hi, Device device, DType dtype) {
  Tensor t = Tensor::empty(shape, DType::f32, Device::cpu());
  Generator gen(seed);
  ops::uniform_(t, lo, hi, gen);
  if (dtype != DType::f32) t = ops::cast(t, dtype);
  return t.to(device);
}

void poison(const Tensor& t) { ops::fill_(t, std::nanf("")); }

std::string CloseResult::summary() const {
  std::ostringstream os;
  os << "max abs err " << max_abs_err << ", max rel err " << max_rel_err << " at index " << worst_index << ", "
     << nan_count << " NaN (run seed " << run_seed() << ")";
  return os.str();
}

CloseResult compare(const std::vector<float>& a, const std::vector<float>& r, double atol, double rtol) {
  CloseResult res;
  if (a.size() != r.size()) {
    res.ok = false;
    res.worst_index = -2;
    return res;
  }
  double worst_excess = -1;
  for (size_t i = 0; i < a.size(); ++i) {
    double av = a[i], rv = r[i];
    if (std::isnan(av) || std::isnan(rv)) {
      res.ok = false;
      res.nan_count++;
      if (res.worst_index < 0) res.worst_index = int64_t(i);
      continue;
    }
    double err = std::fabs(av - rv);
    double bound = atol + rtol * std::fabs(rv);
    res.max_abs_err = std::max(res.max_abs_err, err);
    res.max_rel_err = std::max(res.max_rel_err, err / std::max(std::fabs(rv), 1e-30));
    if (err > bound) res.ok = false;
    if (err - bound > worst_excess) {
      worst_excess = err - bound;
      if (res.nan_count == 0) res.worst_index = int64_t(i);
    }
  }
  return res;
}

CloseResult compare(const Tensor& actual, const Tensor& ref, double atol, double rtol) {
  if (!(actual.shape() == ref.shape())) {
    CloseResult r;
    r.ok = false;
    r.worst_index = -2;
    return r;
  }
  return compare(actual.to_vector(), ref.to_vector(), atol, rtol);
}

void check_close(const Tensor& actual, const Tensor& ref, double atol, double rtol, const std::string& what) {
  INFO(what, ": shapes ", actual.shape().str(), " vs ", ref.shape().str());
  CloseResult r = compare(actual, ref, atol, rtol);
  INFO(what, ": ", r.summary());
  CHECK(r.ok);
}

void check_close(const std::vector<float>& actual, const std::vector<float>& ref, double atol, double rtol,
                 const std::string& what) {
  CloseResult r = compare(actual, ref, atol, rtol);
  INFO(what, ": sizes ", actual.size(), " vs ", ref.size(), "; ", r.summary());
  CHECK(r.ok);
}

namespace {
double weighted_sum(const Tensor& out, const std::vector<float>& w) {
  std::vector<float> v = out.to_vector();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += double(v[i]) * double(w[i]);
  return s;
}

std::vector<float> weights_for(const Tensor& out, uint64_t seed) {
  return random_uniform(out.shape(), seed, -1.0f, 1.0f).to_vector();
}
}  // namespace

bool gradient_check(const TensorFn& fn, std::vector<Tensor> inputs, double eps, double atol, double rtol,
                    uint64_t seed) {
  if (seed == 0) seed = fresh_seed();
  for (auto& t : inputs) t.zero_grad();
  Tensor out = fn(inputs);
  std::vector<float> w = weights_for(out, seed);
  Tensor wt = Tensor::from_vector(w, out.shape());
  Tensor loss = ops::sum(ops::mul(out, wt));
  loss.backward();
  bool all_ok = true;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    REQUIRE_MESSAGE(x.grad().defined(), "input ", k, " received no gradient");
    std::vector<float> analytic = x.grad().to_vector();
    std::vector<float> numeric(size_t(x.numel()));
    float* p = x.data_as<float>();
    NoGradGuard ng;
    for (int64_t i = 0; i < x.numel(); ++i) {
      float orig = p[i];
      p[i] = float(orig + eps);
      double up = weighted_sum(fn(inputs), w);
      p[i] = float(orig - eps);
      double down = weighted_sum(fn(inputs), w);
      p[i] = orig;
      numeric[size_t(i)] = float((up - down) / (2 * eps));
    }
    CloseResult r = compare(analytic, numeric, atol, rtol);
    INFO("gradient of input ", k, " (shape ", x.shape().str(), "): analytic vs numeric, ", r.summary());
    CHECK(r.ok);
    all_ok = all_ok && r.ok;
  }
  return all_ok;
}

bool cuda_present() { return cuda_available(); }

bool compare_cuda_to_cpu(const TensorFn& fn, const std::vector<Tensor>& cpu_inputs, DType dtype, double atol,
                         double rtol, const std::string& what) {
  if (!cuda_present()) {
    MESSAGE("no CUDA device: skipped ", what);
    return false;
  }
  std::vector<Tensor> ci, gi;
  for (const Tensor& t : cpu_inputs) {
    Tensor c = t.detach().clone();
    if (t.requires_grad()) c.set_requires_grad(true);
    ci.push_back(c);
    Tensor g = ops::cast(t.detach(), dtype_is_float(t.dtype()) ? dtype : t.dtype()).to(Device::cuda(0)).clone();
    if (t.requires_grad()) g.set_requires_grad(true);
    gi.push_back(g);
  }
  Tensor cout = fn(ci);
  Tensor gout = fn(gi);
  check_close(ops::cast(gout.detach(), DType::f32).to(Device::cpu()), cout, atol, rtol, what + " forward");
  bool any_grad = false;
  for (auto& t : cpu_inputs) any_grad = any_grad || t.requires_grad();
  if (!any_grad) return true;
  Tensor w = random_uniform(cout.shape(), fresh_seed());
  ops::sum(ops::mul(cout, w)).backward();
  ops::sum(ops::mul(gout, ops::cast(w, dtype).to(Device::cuda(0)))).backward();
  for (size_t k = 0; k < ci.size(); ++k) {
    if (!ci[k].requires_grad()) continue;
    check_close(ops::cast(gi[k].grad(), DType::f32).to(Device::cpu()), ci[k].grad(), atol, rtol,
                what + " gradient of input " + std::to_string(k));
  }
  return true;
}

std::string reference_python() {
  const char* py = std::getenv("YE_PARITY_PYTHON");
  REQUIRE_MESSAGE(py != nullptr, "YE_PARITY_PYTHON is not set: run this case through tests/parity/with_reference.sh");
  return py;
}

}  // namespace ye::test
