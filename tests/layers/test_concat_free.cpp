// Concat-free C2f / C3k2 (cv1 and every inner block write into their channel slice of one buffer, the
// Bottleneck's residual add fused into its last BN pass) against the plain composition of the same
// modules' pieces (split, separate add, concat copy): equal outputs and parameter and input gradients.
#include <doctest/doctest.h>

#include "common/harness.h"
#include "layers/blocks.h"

using namespace ye;
using namespace ye::layers;

namespace {
// The reference formulation: cv2(concat[split(cv1(x)), m0(..), m1(..), ...]) with unfused blocks.
Tensor plain_c2f(C2f& block, const Tensor& x) {
  std::vector<Tensor> ys = ops::split(block.cv1->forward(x), {block.c, block.c}, -1);
  for (size_t i = 0; i < block.m->size(); ++i) {
    Module& inner = (*block.m)[i];
    if (auto* b = dynamic_cast<Bottleneck*>(&inner)) {
      Tensor t = b->cv2->forward(b->cv1->forward(ys.back()));
      ys.push_back(b->add ? ops::add(ys.back(), t) : t);
    } else {
      ys.push_back(inner.forward(ys.back()));
    }
  }
  return block.cv2->forward(ops::concat(ys, -1));
}

struct Run {
  std::vector<float> y, gx;
  std::vector<std::vector<float>> gparams;
};

Run run(C2f& block, const Tensor& x0, const Tensor& gup, bool fused) {
  for (auto& [name, p] : block.named_parameters()) p.zero_grad();
  Tensor x = x0.clone().set_requires_grad(true);
  Tensor y = fused ? block.forward(x) : plain_c2f(block, x);
  ops::sum(ops::mul(y, gup)).backward();
  Run r{y.to_vector(), x.grad().to_vector(), {}};
  for (auto& [name, p] : block.named_parameters()) r.gparams.push_back(p.grad().to_vector());
  return r;
}

void check_equal(C2f& block, const Shape& in, int64_t c2) {
  Generator gen(test::fresh_seed());
  block.reset_parameters(gen);
  Tensor x = test::random_uniform(in, test::fresh_seed());
  Tensor gup = test::random_uniform(Shape{in[0], in[1], in[2], c2}, test::fresh_seed());
  const Run a = run(block, x, gup, true), b = run(block, x, gup, false);
  CHECK(a.y == b.y);
  // Gradients: the same terms summed in another order (strided BN rows, fused residual, slice
  // accumulation), and BN backward's centred sums over 60 values amplify f32 rounding to ~5e-6 on
  // values ~0.1 (seen in 1 run of 10 at 1e-6 + 1e-5 relative); a wrong slice or a missed term is O(1).
  test::check_close(a.gx, b.gx, 2e-5, 1e-4, "input gradient");
  REQUIRE(a.gparams.size() == b.gparams.size());
  for (size_t i = 0; i < a.gparams.size(); ++i) test::check_close(a.gparams[i], b.gparams[i], 2e-5, 1e-4, "param");
}
}  // namespace

TEST_CASE("concat-free C2f equals split + blocks + add + concat, forward and backward") {
  for (bool shortcut : {true, false})
    for (int n : {1, 2}) {
      INFO("shortcut=", shortcut, " n=", n);
      C2f block(8, 16, n, shortcut);
      check_equal(block, Shape{2, 6, 5, 8}, 16);
    }
}

TEST_CASE("concat-free C3k2 (Bottleneck and C3k inner blocks) equals the plain composition") {
  for (bool c3k : {false, true}) {
    INFO("c3k=", c3k);
    C3k2 block(8, 16, 1, c3k, 0.5f);
    check_equal(block, Shape{2, 6, 5, 8}, 16);
  }
}

TEST_CASE("concat-free C2f in eval mode gives the plain composition's output") {
  C2f block(8, 8, 2, true);
  Generator gen(test::fresh_seed());
  block.reset_parameters(gen);
  block.eval();
  Tensor x = test::random_uniform(Shape{1, 4, 4, 8}, test::fresh_seed());
  CHECK(block.forward(x).to_vector() == plain_c2f(block, x).to_vector());
}
