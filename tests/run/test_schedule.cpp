// Tests of the optimisation schedule maths: hand-computed values for total batch sizes 16, 64,
// 128 and 48, and values computed by the reference's own code (np.interp warmup, one_cycle,
// ModelEMA.decay, lr_fit) stored in tests/parity/goldens/run/schedule.json.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kernels/error.h"
#include "yolo/config/epoch_rules.h"
#include "yolo/config/schedule.h"

using namespace ye::yolo;

namespace {
nlohmann::json load_schedule_golden() {
  std::ifstream in(YE_SOURCE_DIR "/tests/parity/goldens/run/schedule.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}
}  // namespace

TEST_CASE("accumulate and weight decay scale with the total batch") {
  CHECK(accumulate_steps(64, 16) == 4);
  CHECK(accumulate_steps(64, 64) == 1);
  CHECK(accumulate_steps(64, 128) == 1);  // round(0.5) = 0 -> max(0, 1)
  CHECK(accumulate_steps(64, 48) == 1);   // round(1.333) = 1
  CHECK(accumulate_steps(64, 40) == 2);   // round(1.6) = 2
  CHECK(accumulate_steps(64, 26) == 2);   // round(2.46) = 2
  CHECK(accumulate_steps(64, 1) == 64);
  CHECK(scaled_weight_decay(5e-4, 16, 4, 64) == doctest::Approx(5e-4).epsilon(1e-15));
  CHECK(scaled_weight_decay(5e-4, 64, 1, 64) == 5e-4);
  CHECK(scaled_weight_decay(5e-4, 128, 1, 64) == 1e-3);
  CHECK(scaled_weight_decay(5e-4, 48, 1, 64) == doctest::Approx(3.75e-4).epsilon(1e-15));
  CHECK_THROWS_AS(accumulate_steps(64, 0), ye::Error);
}

TEST_CASE("warmup length, optimizer auto, lambdas, EMA: hand-computed") {
  CHECK(warmup_iterations(3.0, 7393) == 22179);
  CHECK(warmup_iterations(3.0, 8) == 100);  // at least 100 iterations
  CHECK(warmup_iterations(0.5, 5) == 100);
  CHECK(warmup_iterations(0.0, 1000) == -1);
  CHECK(warmup_iterations(2.5, 1001) == 2502);  // round(2502.5) = 2502 (half to even)
  CHECK(auto_optimizer_iterations(118287, 16, 64, 100) == 184900);
  CHECK(auto_optimizer_iterations(128, 16, 64, 100) == 200);

  OptimizerChoice sgd = choose_optimizer("auto", 0.01, 0.937, 0.1, 80, 184900);
  CHECK(sgd.name == "SGD");
  CHECK(sgd.lr == 0.01);
  CHECK(sgd.momentum == 0.9);
  CHECK(sgd.warmup_bias_lr == 0.0);
  CHECK(sgd.nesterov);
  OptimizerChoice adam = choose_optimizer("auto", 0.01, 0.937, 0.1, 80, 10000);  // not > 10000
  CHECK(adam.name == "AdamW");
  CHECK(adam.lr == 0.000119);
  CHECK(adam.warmup_bias_lr == 0.0);
  OptimizerChoice user = choose_optimizer("sgd", 0.02, 0.95, 0.1, 80, 10);
  CHECK(user.name == "SGD");
  CHECK(user.lr == 0.02);
  CHECK(user.momentum == 0.95);
  CHECK(user.warmup_bias_lr == 0.1);
  CHECK_THROWS_AS(choose_optimizer("lion", 0.01, 0.9, 0.1, 80, 10), ye::Error);

  CHECK(lr_lambda(0, 100, 0.01, false) == 1.0);
  CHECK(lr_lambda(99, 100, 0.01, false) == doctest::Approx(0.0199).epsilon(1e-12));  // lrf + (1-lrf)/epochs
  CHECK(lr_lambda(100, 100, 0.01, false) == doctest::Approx(0.01));
  CHECK(lr_lambda(0, 100, 0.01, true) == 1.0);
  CHECK(lr_lambda(50, 100, 0.01, true) == doctest::Approx(0.505));
  CHECK(lr_lambda(100, 100, 0.01, true) == doctest::Approx(0.01));

  CHECK(ema_decay(0) == 0.0);
  CHECK(ema_decay(2000) == doctest::Approx(0.9999 * (1 - std::exp(-1.0))));
  CHECK(should_step(0, -1, 1));
  CHECK_FALSE(should_step(2, -1, 4));
  CHECK(should_step(3, -1, 4));
  CHECK_FALSE(should_step(6, 3, 4));
  CHECK(should_step(7, 3, 4));
}

TEST_CASE("warmup per iteration: hand-computed, total batch 16 / 64 / 128 / 48") {
  // batch 16, nb 8 -> nw 100; at ni = 50: accumulate interp(50, [0,100], [1, 4]) = 2.5 -> 2
  WarmupState w = warmup_state(50, 100, 64, 16, 0.01, 1.0, 0.1, 0.8, 0.937);
  CHECK(w.active);
  CHECK(w.accumulate == 2);
  CHECK(w.lr[0] == doctest::Approx(0.055));
  CHECK(w.lr[1] == doctest::Approx(0.005));
  CHECK(w.lr[2] == doctest::Approx(0.005));
  CHECK(w.momentum == doctest::Approx(0.8685));
  CHECK(warmup_state(100, 100, 64, 16, 0.01, 1.0, 0.1, 0.8, 0.937).lr[0] == 0.01);  // exact end point
  CHECK(warmup_state(100, 100, 64, 16, 0.01, 1.0, 0.1, 0.8, 0.937).momentum == 0.937);
  CHECK_FALSE(warmup_state(101, 100, 64, 16, 0.01, 1.0, 0.1, 0.8, 0.937).active);
  CHECK_FALSE(warmup_state(0, -1, 64, 16, 0.01, 1.0, 0.1, 0.8, 0.937).active);  // warmup off
  // batch 64: accumulate stays 1; 'auto' bias lr starts at 0
  WarmupState w64 = warmup_state(10, 100, 64, 64, 0.01, 1.0, 0.0, 0.8, 0.937);
  CHECK(w64.accumulate == 1);
  CHECK(w64.lr[0] == doctest::Approx(0.001));
  // batch 128: nbs/batch = 0.5, interp in [1, 0.5], round then max 1
  CHECK(warmup_state(100, 100, 64, 128, 0.01, 1.0, 0.0, 0.8, 0.937).accumulate == 1);
  // batch 48: ends at round(1.333) = 1
  CHECK(warmup_state(100, 100, 64, 48, 0.01, 1.0, 0.1, 0.8, 0.937).accumulate == 1);
  CHECK(warmup_state(0, 100, 64, 16, 0.01, 1.0, 0.1, 0.8, 0.937).accumulate == 1);
  CHECK(warmup_state(17, 100, 64, 16, 0.01, 1.0, 0.1, 0.8, 0.937).accumulate == 2);  // 1.51 -> 2
}

TEST_CASE("schedule equals the reference's code (goldens from the venv)") {
  nlohmann::json g = load_schedule_golden();
  for (const auto& a : g["accumulate"]) {
    int64_t batch = a["batch"], nb = a["nb"];
    CHECK(accumulate_steps(64, batch) == a["accumulate"].get<int64_t>());
    CHECK(scaled_weight_decay(0.0005, batch, accumulate_steps(64, batch), 64) == a["weight_decay"].get<double>());
    CHECK(warmup_iterations(3.0, nb) == a["nw"].get<int64_t>());
  }
  size_t n = 0;
  for (const auto& w : g["warmup"]) {
    int64_t epoch = w["epoch"];
    WarmupState s = warmup_state(w["ni"], w["nw"], 64, w["batch"], 0.01, lr_lambda(epoch, 100, 0.01, false),
                                 w["warmup_bias_lr"], 0.8, 0.937);
    CAPTURE(w.dump());
    CHECK(s.active);
    CHECK(s.accumulate == w["accumulate"].get<int64_t>());
    for (size_t j = 0; j < 3; ++j) CHECK(s.lr[j] == w["lr"][j].get<double>());  // bit-exact
    CHECK(s.momentum == w["momentum"].get<double>());
    ++n;
  }
  CHECK(n > 20);
  for (const auto& l : g["lf"]) {
    CAPTURE(l.dump());
    CHECK(lr_lambda(l["epoch"], l["epochs"], l["lrf"], false) == l["linear"].get<double>());
    CHECK(lr_lambda(l["epoch"], l["epochs"], l["lrf"], true) == l["cosine"].get<double>());
  }
  for (const auto& e : g["ema"]) CHECK(ema_decay(e["updates"]) == e["decay"].get<double>());
  for (const auto& f : g["lr_fit"]) {
    CAPTURE(f.dump());
    CHECK(choose_optimizer("auto", 0.01, 0.937, 0.1, f["nc"], 0).lr == f["lr"].get<double>());
  }
}

TEST_CASE("epoch rules: early stopping, close_mosaic, plots, checkpoints, time budget") {
  EarlyStopping s(3);
  CHECK_FALSE(s.update(1, 0.1));
  CHECK_FALSE(s.update(2, 0.2));
  CHECK_FALSE(s.update(3, 0.15));
  CHECK_FALSE(s.update(4, 0.2));  // equal is not an improvement
  CHECK(s.possible_stop);
  CHECK(s.update(5, 0.19));  // 3 epochs since the best (epoch 2)
  CHECK(s.best_epoch == 2);
  EarlyStopping never(0);
  for (int e = 1; e < 500; ++e) CHECK_FALSE(never.update(e, 0.5));
  EarlyStopping zero(2);
  CHECK_FALSE(zero.update(1, 0.0));
  CHECK_FALSE(zero.update(2, 0.0));  // zero fitness keeps moving the best epoch
  CHECK_FALSE(zero.update(3, std::nullopt));

  CHECK(is_close_mosaic_epoch(90, 100, 10));
  CHECK_FALSE(is_close_mosaic_epoch(89, 100, 10));
  CHECK_FALSE(is_close_mosaic_epoch(100, 100, 0));
  CHECK(train_batch_plot_iterations(8, 100, 10) == std::vector<int64_t>{0, 1, 2, 720, 721, 722});
  CHECK(train_batch_plot_iterations(8, 100, 0) == std::vector<int64_t>{0, 1, 2});
  CHECK(saves_epoch_checkpoint(0, 5));
  CHECK(saves_epoch_checkpoint(10, 5));
  CHECK_FALSE(saves_epoch_checkpoint(3, 5));
  CHECK_FALSE(saves_epoch_checkpoint(0, -1));
  CHECK(epochs_for_time_budget(1.0, 120.0, 2) == 60);
  CHECK(epochs_for_time_budget(0.5, 700.0, 1) == 3);
  CHECK(resolve_accumulate(0, 64, 16) == 4);
  CHECK(resolve_accumulate(2, 64, 16) == 2);
  CHECK(stride_aligned_imgsz(640) == 640);
  CHECK(stride_aligned_imgsz(641) == 672);
  CHECK(stride_aligned_imgsz(1) == 32);
  CHECK(per_rank_batch(64, 4) == 16);
  CHECK(per_rank_batch(64, 1) == 64);
  CHECK(loader_workers(8, 16, 4) == 4);
  CHECK(loader_workers(8, 128, 8) == 8);
  CHECK(loader_workers(8, 2, 0) == 2);
}
