// Optimizer steps against torch.optim (goldens from tests/parity/gen_optim.py): SGD with Nesterov
// momentum and per-group decay, AdamW, both after clip_grad_norm_(10); the loss scaler's skip,
// back-off and growth; the EMA decay schedule and blend.
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

#include <cmath>

#include "common/harness.h"
#include "engine/optimizer.h"

using namespace ye;

namespace {
nlohmann::json load_golden() {
  std::ifstream f(YE_SOURCE_DIR "/tests/parity/goldens/optim/optim_steps.json");
  REQUIRE(f.good());
  return nlohmann::json::parse(f);
}

void run_golden(OptimizerKind kind, const char* key) {
  auto j = load_golden();
  std::vector<std::pair<std::string, Tensor>> named;
  std::vector<Tensor> params;
  for (size_t i = 0; i < 3; ++i) {
    auto v = j["init"][i].get<std::vector<float>>();
    params.push_back(Tensor::from_vector(v, {int64_t(v.size())}));
    named.push_back({"p" + std::to_string(i), params.back()});
  }
  ParameterArena arena;
  arena.adopt(named, Device::cpu());
  std::vector<ParamGroup> groups;
  for (size_t i = 0; i < 3; ++i) {
    ParamGroup g;
    g.name = "g" + std::to_string(i);
    g.offset = arena.entries()[i].offset;
    g.numel = arena.entries()[i].numel;
    g.lr = j["groups"][i]["lr"].get<float>();
    g.weight_decay = j["groups"][i]["wd"].get<float>();
    g.momentum = kind == OptimizerKind::sgd ? 0.9f : 0.937f;
    groups.push_back(g);
  }
  Optimizer opt(kind, arena, groups);
  GradScaler scaler(Device::cpu(), false);
  for (size_t step = 0; step < 3; ++step) {
    arena.zero_grad();
    for (size_t i = 0; i < 3; ++i)
      ops::copy_(params[i].grad(), Tensor::from_vector(j["grads"][step][i].get<std::vector<float>>(), params[i].shape()));
    opt.step(scaler, 10.0f);
    CHECK(std::sqrt(scaler.grad_sq_sum.item()) == doctest::Approx(j[key][step]["norm"].get<double>()).epsilon(1e-5));
    for (size_t i = 0; i < 3; ++i)
      test::check_close(params[i].to_vector(), j[key][step]["params"][i].get<std::vector<float>>(), 1e-6, 1e-5,
                        std::string(key) + " step " + std::to_string(step));
  }
}
}  // namespace

TEST_CASE("SGD with Nesterov momentum and clipping matches torch.optim.SGD") { run_golden(OptimizerKind::sgd, "sgd"); }
TEST_CASE("AdamW with clipping matches torch.optim.AdamW") { run_golden(OptimizerKind::adamw, "adamw"); }

TEST_CASE("the loss scaler unscales, skips non-finite steps, backs off and grows") {
  Tensor w = Tensor::from_vector({1.0f, 2.0f}, {2});
  ParameterArena arena;
  arena.adopt({{"w", w}}, Device::cpu());
  ParamGroup g;
  g.numel = 2;
  g.lr = 0.5f;
  g.momentum = 0.0f;
  Optimizer opt(OptimizerKind::sgd, arena, {g}, 0.999f, 1e-8f, false);
  GradScaler scaler(Device::cpu(), true, 1024.0f, 2.0f, 0.5f, 2);
  Tensor loss = ops::sum(ops::mul(w, w));
  CHECK(scaler.scale_loss(loss).item() == doctest::Approx(1024.0f * 5.0f));
  scaler.scale_loss(loss).backward();
  CHECK(w.grad().to_vector() == std::vector<float>{2048.0f, 4096.0f});
  opt.step(scaler);
  CHECK(w.to_vector() == std::vector<float>{0.0f, 0.0f});  // grads unscaled to (2, 4); lr 0.5
  scaler.update();
  CHECK(scaler.scale_value() == 1024.0f);
  ops::fill_(arena.grads(), std::nanf(""));
  opt.step(scaler);
  CHECK(scaler.found_inf.item() == 1.0f);
  CHECK(w.to_vector() == std::vector<float>{0.0f, 0.0f});  // skipped
  scaler.update();
  CHECK(scaler.scale_value() == 512.0f);
  CHECK(scaler.skipped_steps() == 1);
  for (int i = 0; i < 2; ++i) {
    arena.zero_grad();
    opt.step(scaler);
    scaler.update();
  }
  CHECK(scaler.scale_value() == 1024.0f);  // grew after `interval` = 2 finite steps
  CHECK(scaler.skipped_steps() == 1);
  auto st = scaler.state();
  GradScaler restored(Device::cpu(), true);
  restored.load_state(st);
  CHECK(restored.scale_value() == 1024.0f);
  CHECK(restored.skipped_steps() == 1);
}

TEST_CASE("EMA decay follows 0.9999*(1-exp(-u/2000)) and blends values and buffers") {
  Tensor values = Tensor::from_vector({0.0f, 0.0f}, {2}), buffers = Tensor::from_vector({1.0f}, {1});
  ModelEMA ema(values, buffers);
  CHECK(ema.current_decay() == 0.0f);
  Tensor v2 = Tensor::from_vector({1.0f, 2.0f}, {2}), b2 = Tensor::from_vector({3.0f}, {1});
  ema.update(v2, b2);
  float d1 = 0.9999f * (1.0f - std::exp(-1.0f / 2000.0f));
  CHECK(ema.current_decay() == doctest::Approx(d1));
  CHECK(ema.values().to_vector()[1] == doctest::Approx(2.0f * (1.0f - d1)));
  CHECK(ema.buffers().to_vector()[0] == doctest::Approx(d1 * 1.0f + (1 - d1) * 3.0f));
  ema.updates = 100000;
  CHECK(ema.current_decay() == doctest::Approx(0.9999f));
}
