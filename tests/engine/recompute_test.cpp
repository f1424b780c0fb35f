// Recomputed BN(+SiLU) activations (engine/recompute.h): conv2d over batch_norm_silu, over a channel
// narrow of it, over a concat and a residual sum of such outputs, gives bitwise-equal outputs and
// gradients with recompute on and off, and the recomputed tensors are freed after the forward.
#include <doctest/doctest.h>

#include <cstring>

#include "engine/allocator.h"
#include "engine/nn_ops.h"
#include "engine/ops.h"
#include "engine/recompute.h"

using namespace ye;

namespace {
bool same_bits(const Tensor& a, const Tensor& b) {
  Tensor ha = a.contiguous(), hb = b.contiguous();
  return ha.nbytes() == hb.nbytes() && std::memcmp(ha.data(), hb.data(), ha.nbytes()) == 0;
}

struct Params {
  Tensor x, w1, w2, bn_w, bn_b, rm, rv;
};

Params random_params(uint64_t seed, int c) {
  Generator gen(seed);
  auto rnd = [&](Shape s, float lo, float hi) {
    Tensor t = Tensor::empty(s);
    ops::uniform_(t, lo, hi, gen);
    return t;
  };
  Params p;
  p.x = rnd({2, 6, 6, 3}, -1, 1).set_requires_grad(true);
  p.w1 = rnd({c, 3, 3, 3}, -0.5f, 0.5f).set_requires_grad(true);
  p.w2 = rnd({4, 1, 1, c + c / 2}, -0.5f, 0.5f).set_requires_grad(true);
  p.bn_w = rnd({c}, 0.5f, 1.5f).set_requires_grad(true);
  p.bn_b = rnd({c}, -0.5f, 0.5f).set_requires_grad(true);
  p.rm = Tensor::zeros({c});
  p.rv = Tensor::full({c}, 1.0f);
  return p;
}

// conv(x) -> bn_silu -> [narrow half, its residual sum with the other half, the full output] -> concat
// -> 1x1 conv, and the plain conv over bn_silu; returns the loss and the gradients.
std::vector<Tensor> run_graph(Params p, bool recompute) {
  RecomputeGuard guard(recompute);
  ops::BatchNormArgs bn{true, 0.03f, 1e-3f, true};
  Tensor y = ops::batch_norm(ops::conv2d(p.x, p.w1, Tensor(), {1, 1, 1}), p.bn_w, p.bn_b, p.rm, p.rv, bn);
  const int64_t c = y.dim(3), h = c / 2;
  Tensor a = ops::narrow(y, 3, 0, h), b = ops::narrow(y, 3, h, c - h);
  Tensor cat = ops::concat({a, ops::add(a, b), b}, -1);
  Tensor z1 = ops::conv2d(cat, p.w2, Tensor(), {1, 0, 1});
  Tensor z2 = ops::conv2d(y, ops::narrow(p.w2, 3, 0, c), Tensor(), {1, 0, 1});
  Tensor z3 = ops::conv2d(b, ops::narrow(p.w2, 3, 0, c - h), Tensor(), {1, 0, 1});
  Tensor loss = ops::sum(ops::mul(ops::add(ops::add(z1, z2), z3), ops::add(z1, z3)));
  loss.backward();
  return {loss, p.x.grad(), p.w1.grad(), p.w2.grad(), p.bn_w.grad(), p.bn_b.grad(), p.rm, p.rv};
}
}  // namespace

TEST_CASE("conv2d over recomputed batch_norm_silu outputs: bitwise-equal gradients, fresh random inputs") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    std::vector<Tensor> on = run_graph(random_params(seed, 6), true);
    std::vector<Tensor> off = run_graph(random_params(seed, 6), false);
    REQUIRE(on.size() == off.size());
    for (size_t i = 0; i < on.size(); ++i) {
      CAPTURE(i);
      CHECK(same_bits(on[i], off[i]));
    }
  }
}

TEST_CASE("a recomputable conv input is freed after the forward and held without recompute") {
  Params p = random_params(5, 8);
  ops::BatchNormArgs bn{true, 0.03f, 1e-3f, true};
  for (bool recompute : {true, false}) {
    CAPTURE(recompute);
    RecomputeGuard guard(recompute);
    std::weak_ptr<Storage> y_storage;
    Tensor z;
    {
      Tensor y = ops::batch_norm(ops::conv2d(p.x, p.w1, Tensor(), {1, 1, 1}), p.bn_w, p.bn_b, p.rm, p.rv, bn);
      y_storage = y.impl_ptr()->storage;
      z = ops::conv2d(y, ops::narrow(p.w2, 3, 0, 8), Tensor(), {1, 0, 1});
    }
    CHECK(y_storage.expired() == recompute);
    ops::sum(z).backward();
    CHECK(y_storage.expired());
  }
}

TEST_CASE("the CPU allocator counts tensor bytes in use and their peak") {
  host_allocator_reset_peak();
  const AllocatorStats before = host_allocator_stats();
  {
    Tensor t = Tensor::empty({1 << 20});
    CHECK(host_allocator_stats().bytes_in_use >= before.bytes_in_use + (4u << 20));
  }
  CHECK(host_allocator_stats().bytes_in_use == before.bytes_in_use);
  CHECK(host_allocator_stats().peak_bytes_in_use >= before.bytes_in_use + (4u << 20));
}
