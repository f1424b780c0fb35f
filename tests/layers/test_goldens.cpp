// CPU forward and backward of Conv, C2f, C3k2 (c3k on), SPPF, C2PSA and Detect (YOLOv8 and YOLO11
// designs) against the reference's modules (tests/parity/goldens/layers, from gen_layers.py): state
// dicts load under the reference names, eval and train outputs, input and parameter gradients of
// sum(out * w), running statistics after the train step, and Detect's bias_init and eval decode.
#include <doctest/doctest.h>

#include "common/harness.h"
#include "engine/io/safetensors.h"
#include "layers/attention.h"
#include "layers/blocks.h"
#include "layers/head.h"

using namespace ye;
using namespace ye::layers;

namespace {
using TensorMap = std::map<std::string, Tensor>;

TensorMap load_golden(const std::string& name) {
  io::SafeTensorsFile f = io::read_safetensors(std::string(YE_SOURCE_DIR) + "/tests/parity/goldens/layers/" + name +
                                               ".safetensors");
  TensorMap out;
  for (const auto& t : f.tensors) {
    Tensor v = Tensor::from_blob_copy(t.bytes.data(), Shape::from(t.shape.begin(), t.shape.end()), t.dtype,
                                      Device::cpu());
    out[t.name] = dtype_is_float(t.dtype) ? ops::cast(v, DType::f32) : v;
  }
  return out;
}

TensorMap with_prefix(const TensorMap& g, const std::string& prefix) {
  TensorMap out;
  for (const auto& [k, v] : g)
    if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
  return out;
}

constexpr double kAtol = 3e-5, kRtol = 1e-4;

// Loads the state dict (every name must match both ways), runs eval then train forward/backward with
// `forward`, and compares everything the golden holds.
void check_module(Module& m, const TensorMap& g, int num_inputs,
                  const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                  const std::function<Tensor(const std::vector<Tensor>&)>& eval_output) {
  TensorMap sd = with_prefix(g, "sd.");
  CHECK(m.load_state_dict(sd, true) == sd.size());
  CHECK(m.state_dict().size() == sd.size());
  std::vector<Tensor> xs;
  for (int i = 0; i < num_inputs; ++i) xs.push_back(g.at("x" + std::to_string(i)));
  m.eval();
  {
    NoGradGuard ng;
    test::check_close(eval_output(xs), g.at("eval.y"), kAtol, kRtol, "eval output");
  }
  m.train();
  for (auto& x : xs) x = x.clone().set_requires_grad(true);
  std::vector<Tensor> ys = forward(xs);
  Tensor loss;
  for (size_t i = 0; i < ys.size(); ++i) {
    test::check_close(ys[i], g.at("train.y" + std::to_string(i)), kAtol, kRtol, "train output " + std::to_string(i));
    Tensor term = ops::sum(ops::mul(ys[i], g.at("w" + std::to_string(i))));
    loss = loss.defined() ? ops::add(loss, term) : term;
  }
  loss.backward();
  for (int i = 0; i < num_inputs; ++i)
    test::check_close(xs[size_t(i)].grad(), g.at("grad.x" + std::to_string(i)), kAtol, 2 * kRtol, "input grad");
  TensorMap params;
  for (auto& [k, v] : m.state_dict()) params[k] = v;
  int grads = 0;
  for (auto& kv : with_prefix(g, "grad.")) {  // no structured binding: doctest's macros capture k (clang 14)
    const auto& k = kv.first;
    const auto& v = kv.second;
    if (k.rfind("x", 0) == 0 && k.size() <= 3) continue;
    REQUIRE_MESSAGE(params.count(k), "no parameter ", k);
    test::check_close(params[k].grad(), v, kAtol, 2 * kRtol, "grad of " + k);
    ++grads;
  }
  CHECK(grads >= 2);
  for (auto& [k, v] : with_prefix(g, "after.")) test::check_close(params.at(k), v, 1e-6, 1e-5, "running stat " + k);
}

std::function<std::vector<Tensor>(const std::vector<Tensor>&)> single(Module& m) {
  return [&m](const std::vector<Tensor>& xs) { return std::vector<Tensor>{m.forward(xs[0])}; };
}
std::function<Tensor(const std::vector<Tensor>&)> single_eval(Module& m) {
  return [&m](const std::vector<Tensor>& xs) { return m.forward(xs[0]); };
}
}  // namespace

TEST_CASE("Conv matches the reference") {
  Conv m(5, 8, 3, 2);
  check_module(m, load_golden("conv"), 1, single(m), single_eval(m));
}

TEST_CASE("C2f matches the reference") {
  C2f m(12, 16, 2, true);
  check_module(m, load_golden("c2f"), 1, single(m), single_eval(m));
}

TEST_CASE("C3k2 (c3k on) matches the reference") {
  C3k2 m(16, 16, 1, true);
  check_module(m, load_golden("c3k2"), 1, single(m), single_eval(m));
}

TEST_CASE("SPPF matches the reference") {
  SPPF m(16, 12, 5);
  check_module(m, load_golden("sppf"), 1, single(m), single_eval(m));
}

TEST_CASE("C2PSA matches the reference") {
  C2PSA m(128, 128, 1);
  check_module(m, load_golden("c2psa"), 1, single(m), single_eval(m));
}

TEST_CASE("Detect (YOLOv8 legacy and YOLO11) matches the reference") {
  for (bool legacy : {true, false}) {
    std::string name = legacy ? "detect_v8" : "detect_v11";
    INFO(name);
    Detect m(3, {16, 32}, legacy, {8.f, 16.f});
    Generator gen(5);
    m.reset_parameters(gen);  // bias_init, compared before the golden state is loaded
    TensorMap bias = load_golden(name + "_bias_init");
    TensorMap params;
    for (auto& [k, v] : m.state_dict()) params[k] = v;
    for (auto& [k, v] : with_prefix(bias, "bias_init.")) test::check_close(params.at(k), v, 1e-6, 1e-6, "bias_init " + k);
    check_module(
        m, load_golden(name), 2, [&m](const std::vector<Tensor>& xs) { return m.forward_levels(xs).levels; },
        [&m](const std::vector<Tensor>& xs) { return Detect::to_channels_first(m.forward_levels(xs).decoded); });
  }
}
