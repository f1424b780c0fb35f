// Module structure: parameter counts against the reference (numbers printed by ultralytics 8.3.166 for
// the same constructor arguments, and the closed-form C2f formula), state-dict names and order, the
// frozen DFL weights, Detect widths and bias_init, default init bounds, train/eval flags, device moves.
#include <doctest/doctest.h>

#include <cmath>

#include "common/harness.h"
#include "layers/attention.h"
#include "layers/blocks.h"
#include "layers/head.h"

using namespace ye;
using namespace ye::layers;

namespace {
// C2f(c1, c2, n): cv1 (1x1 c1 -> 2c, BN), n bottlenecks (two 3x3 c -> c, BN), cv2 (1x1 (2+n)c -> c2, BN).
int64_t c2f_formula(int64_t c1, int64_t c2, int64_t n) {
  int64_t c = c2 / 2;
  return (c1 * 2 * c + 4 * c) + n * 2 * (9 * c * c + 2 * c) + ((2 + n) * c * c2 + 2 * c2);
}
}  // namespace

TEST_CASE("parameter counts equal the reference's") {
  CHECK(C2f(64, 64, 1, true).num_parameters() == 29056);
  CHECK(C2f(64, 64, 1, true).num_parameters() == c2f_formula(64, 64, 1));
  CHECK(C2f(128, 128, 2, true).num_parameters() == 197632);
  CHECK(C2f(768, 256, 1).num_parameters() == 591360);
  CHECK(C2f(768, 256, 1).num_parameters() == c2f_formula(768, 256, 1));
  CHECK(C3k2(64, 128, 1, false, 0.25f).num_parameters() == 26080);  // YOLO11s layer 2 (c3k off)
  CHECK(C3k2(512, 512, 1, true).num_parameters() == 1380352);       // YOLO11s layer 8 (c3k on)
  CHECK(C3k2(256, 256, 2, true).num_parameters() == 560128);
  CHECK(C2PSA(512, 512, 1).num_parameters() == 990976);             // YOLO11s layer 10
  CHECK(SPPF(512, 512, 5).num_parameters() == 656896);
  CHECK(C3(64, 64, 2).num_parameters() == 29184);
  CHECK(C3k(64, 64, 2).num_parameters() == 45568);
  CHECK(make_dwconv(64, 64, 3)->num_parameters() == 704);
  Detect v8(80, {128, 256, 512}, true);
  CHECK(v8.num_parameters() == 2147008);
  CHECK(v8.num_parameters(true) == 2146992);  // the 16 DFL weights are frozen
  CHECK(Detect(80, {128, 256, 512}, false).num_parameters() == 850368);
}

TEST_CASE("state-dict names follow the reference") {
  C3 c3(8, 8, 1);
  NamedTensors sd = c3.state_dict();
  std::vector<std::string> expect{"cv1.conv.weight", "cv1.bn.weight", "cv1.bn.bias", "cv1.bn.running_mean",
                                  "cv1.bn.running_var", "cv1.bn.num_batches_tracked", "cv2.conv.weight"};
  REQUIRE(sd.size() == 30);
  for (size_t i = 0; i < expect.size(); ++i) CHECK(sd[i].first == expect[i]);
  CHECK(sd[18].first == "m.0.cv1.conv.weight");
  CHECK(sd[18].second.shape() == Shape{4, 1, 1, 4});  // C3 bottleneck cv1 is 1x1
  CHECK(sd[24].second.shape() == Shape{4, 3, 3, 4});

  Detect d11(80, {64, 128, 256}, false);
  auto names = d11.named_parameters();
  auto has = [&](const std::string& n) {
    for (auto& [k, v] : names)
      if (k == n) return true;
    return false;
  };
  CHECK(has("cv3.0.0.0.conv.weight"));  // DWConv
  CHECK(has("cv3.0.0.1.conv.weight"));  // Conv 1x1
  CHECK(has("cv3.2.1.0.bn.weight"));
  CHECK(has("cv3.2.2.bias"));
  CHECK(has("cv2.1.2.weight"));
  CHECK(has("dfl.conv.weight"));
  C2PSA psa(256, 256, 1);
  auto pn = psa.named_parameters();
  CHECK(pn[6].first == "m.0.attn.qkv.conv.weight");
  CHECK(pn[6].second.shape() == Shape{256, 1, 1, 128});  // 128 + 2 * 32 * 2 heads
  CHECK(pn[12].first == "m.0.attn.pe.conv.weight");
  CHECK(pn[12].second.shape() == Shape{128, 3, 3, 1});
  CHECK(pn[15].first == "m.0.ffn.0.conv.weight");
}

TEST_CASE("Detect widths, frozen DFL and bias_init") {
  Detect v8x(80, {320, 640, 640}, true);
  CHECK(v8x.c2 == 80);
  CHECK(v8x.c3 == 320);
  Detect v11m(80, {256, 512, 512}, false);
  CHECK(v11m.c2 == 64);
  CHECK(v11m.c3 == 256);
  auto w = v11m.dfl->conv->weight;
  CHECK_FALSE(w.requires_grad());
  CHECK(w.to_vector()[15] == 15.0f);
  Generator gen(7);
  v11m.reset_parameters(gen);
  CHECK(w.to_vector()[3] == 3.0f);
  for (int i = 0; i < 3; ++i) {
    auto box = std::static_pointer_cast<Conv2d>(v11m.cv2[size_t(i)]->children().back().second);
    auto cls = std::static_pointer_cast<Conv2d>(v11m.cv3[size_t(i)]->children().back().second);
    CHECK(box->bias.to_vector()[5] == 1.0f);
    CHECK(cls->bias.to_vector()[79] == doctest::Approx(std::log(5.0 / 80 / std::pow(640.0 / (8 << i), 2))).epsilon(1e-6));
  }
  CHECK(std::log(5.0 / 80 / std::pow(640.0 / 8, 2)) == doctest::Approx(-11.5366).epsilon(1e-4));
}

TEST_CASE("default init: conv weights U(+-1/sqrt(fan_in)), BN ones/zeros") {
  Conv c(16, 32, 3, 1);
  Generator gen(3);
  c.reset_parameters(gen);
  auto w = c.conv->weight.to_vector();
  float bound = 1.0f / std::sqrt(16.f * 9.f), mx = 0;
  for (float v : w) mx = std::max(mx, std::fabs(v));
  CHECK(mx <= bound);
  CHECK(mx > 0.9f * bound);
  CHECK(c.bn->weight.to_vector()[0] == 1.0f);
  CHECK(c.bn->bias.to_vector()[0] == 0.0f);
  CHECK(c.bn->eps == doctest::Approx(1e-3));
  CHECK(c.bn->momentum == doctest::Approx(0.03));
}

TEST_CASE("train/eval flag reaches every child; num_batches_tracked counts train steps") {
  C2f m(8, 8, 1, true);
  Generator gen(1);
  m.reset_parameters(gen);
  Tensor x = test::random_uniform(Shape{2, 4, 4, 8}, test::fresh_seed());
  m.forward(x);
  m.forward(x);
  CHECK(m.cv1->bn->num_batches_tracked.data_as<int32_t>()[0] == 2);
  auto rm = m.cv1->bn->running_mean.to_vector();
  m.eval();
  CHECK_FALSE(static_cast<Bottleneck&>((*m.m)[0]).cv1->bn->training());
  m.forward(x);
  CHECK(m.cv1->bn->num_batches_tracked.data_as<int32_t>()[0] == 2);
  test::check_close(m.cv1->bn->running_mean.to_vector(), rm, 0, 0, "eval leaves running stats");
}
