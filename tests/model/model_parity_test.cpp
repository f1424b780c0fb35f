// The detection model against the reference itself (goldens of tests/parity/gen_models.py): eval-mode
// decoded output and raw heads, train-mode heads and BN statistics of yolov8n and yolo11n (f32, 1e-4
// relative), the state-dict name table of yolov8s / yolo11s, parameter counts and the optimizer
// groups, and a bit-exact safetensors round trip.
#include <nlohmann/json.hpp>

#include <fstream>

#include "common/harness.h"
#include "model/model_test_util.h"

using namespace ye;

namespace {
// Tolerances: yolov8n meets 1e-4 relative everywhere. yolo11n's attention block amplifies rounding:
// the reference's own f32 eval output differs from its f64 evaluation by 4.7e-3 px (5e-4 relative),
// so yolo11n's decoded boxes are held to that noise level (1e-2 px, 1e-3 relative).
void check_against_golden(const std::string& name) {
  const bool attention = name.rfind("yolo11", 0) == 0;
  const double box_atol = attention ? 1e-2 : 1e-3, head_atol = attention ? 5e-4 : 1e-4;
  const double rel = attention ? 1e-3 : 1e-4;
  auto model = test::golden_model(name, Device::cpu());
  auto io = io::read_safetensors(test::golden(name + "_nc3_io.safetensors"));
  Tensor input = test::nchw_to_nhwc(test::golden_tensor(io, "input"));
  NoGradGuard ng;
  yolo::DetectOutput eval = model->forward(input);
  test::check_close(eval.decoded, test::golden_tensor(io, "eval_pred"), box_atol, rel, name + " eval decoded");
  for (int l = 0; l < 3; ++l)
    test::check_close(eval.feats[size_t(l)], test::nchw_to_nhwc(test::golden_tensor(io, "eval_head_" + std::to_string(l))),
                      head_atol, rel, name + " eval head " + std::to_string(l));
  model->set_training(true);
  yolo::DetectOutput train = model->forward(input);
  for (int l = 0; l < 3; ++l)
    test::check_close(train.feats[size_t(l)],
                      test::nchw_to_nhwc(test::golden_tensor(io, "train_head_" + std::to_string(l))), 1e-4, 1e-4,
                      name + " train head " + std::to_string(l));
  // Layer 0's BN statistics after the train-mode forward (momentum 0.03, unbiased variance).
  std::vector<float> rm, rv;
  for (auto& t : model->state_dict()) {
    if (t.name == "model.0.bn.running_mean") rm.assign((const float*)t.bytes.data(), (const float*)t.bytes.data() + t.numel());
    if (t.name == "model.0.bn.running_var") rv.assign((const float*)t.bytes.data(), (const float*)t.bytes.data() + t.numel());
  }
  test::check_close(rm, test::golden_tensor(io, "train_model.0.bn.running_mean").to_vector(), 1e-6, 1e-5, "running_mean");
  test::check_close(rv, test::golden_tensor(io, "train_model.0.bn.running_var").to_vector(), 1e-6, 1e-5, "running_var");
}
}  // namespace

TEST_CASE("yolov8n matches the reference: eval output, heads, train heads, BN statistics") {
  check_against_golden("yolov8n");
}

TEST_CASE("yolo11n matches the reference: eval output, heads, train heads, BN statistics") {
  check_against_golden("yolo11n");
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
