// The detection model against the reference itself (parity sets of tests/parity/gen_models.py):
// eval-mode decoded output and raw heads, train-mode heads and BN statistics, normwise relative error
// <= 1e-4 in f32, for yolov8n / yolo11n (committed weights), yolov8s / yolo11s (formula-v1 conv weights)
// and, run by the parity_models ctest entry, the reference's own seeded models written live; plus the
// state-dict name tables, the optimizer groups and a bit-exact safetensors round trip.
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

#include "common/harness.h"
#include "model/model_test_util.h"

using namespace ye;

namespace {
// f32: normwise relative error 1e-4 on every tensor (the reference's own f32 output differs from its
// f64 evaluation by at most 1e-5 normwise on these sets).
void check_cpu(const test::ParitySet& set) {
  auto model = test::parity_model(set, Device::cpu());
  test::check_parity(*model, set, DType::f32, test::ParityTolerance{});
}
}  // namespace

TEST_CASE("yolov8n matches the reference: eval output, heads, train heads, BN statistics") {
  check_cpu({"yolov8n", 3});
}

TEST_CASE("yolo11n matches the reference: eval output, heads, train heads, BN statistics") {
  check_cpu({"yolo11n", 3});
}

TEST_CASE("yolov8s and yolo11s (nc=80, formula-v1 conv weights) match the reference") {
  check_cpu({"yolov8s", 80});
  check_cpu({"yolo11s", 80});
}

TEST_CASE("formula-v1 weights: values the generator documents") {
  std::vector<float> w = test::formula_weight("model.0.conv.weight", {16, 3, 3, 3});
  REQUIRE(w.size() == 432);
  for (float v : w) {  // fan_in 27 -> k = 3: |w| <= 2^-3, multiples of 2^-13
    CHECK(std::fabs(v) <= 0.125f);
    CHECK(std::ldexp(v, 13) == std::round(std::ldexp(v, 13)));
  }
  CHECK(test::formula_weight("model.0.conv.weight", {16, 3, 3, 3}) == w);
  CHECK(test::formula_weight("model.1.conv.weight", {16, 3, 3, 3}) != w);
}

// Run by ctest's parity_models entry (tests/parity/with_reference.sh --live-models), which writes the
// sets with the reference and names their folder in YE_PARITY_LIVE_DIR; skipped in the plain suite.
TEST_CASE("reference: the reference's own seeded yolov8n/s, yolo11n/s match (live)" * doctest::skip()) {
  const char* dir = std::getenv("YE_PARITY_LIVE_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "YE_PARITY_LIVE_DIR is not set (run through tests/parity/with_reference.sh)");
  for (std::string name : {"yolov8n", "yolov8s", "yolo11n", "yolo11s"}) check_cpu({name, 80, dir});
}

TEST_CASE("state-dict names and shapes equal the reference's for yolov8s and yolo11s") {
  for (std::string name : {"yolov8s", "yolo11s"}) {
    std::ifstream f(test::golden("names_" + name + ".json"));
    REQUIRE(f.good());
    auto j = nlohmann::json::parse(f);
    yolo::DetectionModel m(yolo::load_model_spec(name, 80), Device::cpu(), 0);
    auto sd = m.state_dict();
    REQUIRE(sd.size() == j["entries"].size());
    int64_t params = 0;
    for (size_t i = 0; i < sd.size(); ++i) {
      INFO(name, " entry ", i);
      CHECK(sd[i].name == j["entries"][i][0].get<std::string>());
      CHECK(sd[i].shape == j["entries"][i][1].get<std::vector<int64_t>>());
      std::string kind = j["entries"][i][2];
      if (kind == "param" || kind == "frozen") params += sd[i].numel();
    }
    CHECK(params == yolo::model_counts(m.spec()).parameters);
    auto groups = m.param_groups(0.01f, 0.9f, 5e-4f);
    int64_t arena = 0;
    for (auto& g : groups) arena += g.numel;
    CHECK(arena == m.parameters().total());
  }
}

TEST_CASE("optimizer groups count as the reference: yolov8n 57 BN weights, 64 decayed weights, 63 biases") {
  yolo::DetectionModel m(yolo::load_model_spec("yolov8n", 80), Device::cpu(), 0);
  auto g = m.param_groups(0.01f, 0.9f, 5e-4f);
  CHECK(g[0].count == 63);
  CHECK(g[1].count == 64);
  CHECK(g[2].count == 57);
  CHECK(g[0].weight_decay == 0.0f);
  CHECK(g[1].weight_decay == 5e-4f);
  CHECK(g[2].weight_decay == 0.0f);
  CHECK(m.parameters().total() >= 3157200 - 16);
  yolo::DetectionModel y(yolo::load_model_spec("yolo11n", 80), Device::cpu(), 0);
  auto gy = y.param_groups(0.01f, 0.9f, 5e-4f);
  CHECK(gy[2].count == 81);
  CHECK(gy[1].count == 88);
  CHECK(gy[0].count == 87);
}

TEST_CASE("weights round-trip through safetensors bit-exactly and load strictly") {
  auto a = test::golden_model("yolov8n", Device::cpu());
  std::string path = "model_roundtrip_test.safetensors";
  io::write_safetensors(path, a->state_dict());
  yolo::DetectionModel b(a->spec(), Device::cpu(), 99);
  b.load_state_dict(io::read_safetensors(path), true);
  b.set_training(false);
  auto sa = a->state_dict(), sb = b.state_dict();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) CHECK(sa[i].bytes == sb[i].bytes);
  Tensor x = test::random_uniform({1, 64, 96, 3}, test::fresh_seed(), 0, 1);
  NoGradGuard ng;
  CHECK(a->forward(x).decoded.to_vector() == b.forward(x).decoded.to_vector());
  // A different nc: only tensors with matching names and shapes transfer.
  yolo::DetectionModel c(yolo::load_model_spec("yolov8n", 5), Device::cpu(), 0);
  yolo::LoadReport r = c.load_state_dict(io::read_safetensors(path), false);
  CHECK(r.mismatched.size() == 6);  // weight and bias of the three cls output convs
  CHECK(r.transferred > 300);
  CHECK_THROWS_AS(c.load_state_dict(io::read_safetensors(path), true), Error);
  // Strict loading accepts a file without num_batches_tracked (docs/WEIGHTS.md conversions omit it).
  yolo::DetectionModel d(a->spec(), Device::cpu(), 5);
  CHECK_NOTHROW(d.load_state_dict(io::read_safetensors(test::golden("yolov8n_nc3_weights.safetensors")), true));
  std::remove(path.c_str());
}
