// Tests of the run folder (increment rule, weights/), atomic writes, results.csv (exact header,
// "%.6g" values, 5-decimal losses, reader), console lines (against the reference's optimizer log
// captured from the venv) and the NVML reader's fallback.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "kernels/error.h"
#include "yolo/run/atomic_file.h"
#include "yolo/run/console.h"
#include "yolo/run/gpu_monitor.h"
#include "yolo/run/results_csv.h"
#include "yolo/run/run_dir.h"

#include "run/run_test_util.h"

using namespace ye::yolo;
namespace fs = std::filesystem;

using ye::test::fresh_dir;

TEST_CASE("run folders increment exp, exp2, exp3 unless exist_ok") {
  fs::path base = fresh_dir("rundir");
  std::string project = (base / "runs/train").string();
  RunDir a = create_run_dir(project, "", false);
  CHECK(a.root == fs::path(project) / "exp");
  CHECK(fs::is_directory(a.weights));
  CHECK(a.last() == a.root / "weights/last.pt");
  CHECK(a.best() == a.root / "weights/best.pt");
  CHECK(a.epoch_checkpoint(5) == a.root / "weights/epoch5.pt");
  CHECK(create_run_dir(project, "", false).root == fs::path(project) / "exp2");
  CHECK(create_run_dir(project, "exp", false).root == fs::path(project) / "exp3");
  CHECK(create_run_dir(project, "exp", true).root == fs::path(project) / "exp");
  CHECK(create_run_dir(project, "custom", false).root == fs::path(project) / "custom");
  fs::create_directories(fs::path(project) / "exp5");
  CHECK(create_run_dir(project, "", false).root == fs::path(project) / "exp4");  // first free
  std::ofstream(base / "results.txt") << "x";
  CHECK(increment_path(base / "results.txt", false) == base / "results2.txt");
  CHECK(increment_path(base / "none", false) == base / "none");
  fs::remove_all(base);
}

TEST_CASE("atomic writes replace files whole and leave no temp files") {
  fs::path d = fresh_dir("atomic");
  write_file_atomic(d / "sub/a.txt", "first");
  CHECK(read_file(d / "sub/a.txt") == "first");
  write_file_atomic(d / "sub/a.txt", std::string(100000, 'x'));
  CHECK(read_file(d / "sub/a.txt").size() == 100000);
  int n = 0;
  for (const auto& e : fs::directory_iterator(d / "sub")) {
    ++n;
    CHECK(e.path().filename() == "a.txt");
  }
  CHECK(n == 1);
  fs::create_directories(d / "dir_in_the_way");
  CHECK_THROWS_AS(write_file_atomic(d / "dir_in_the_way", "x"), ye::Error);
  CHECK_THROWS_AS(read_file(d / "missing"), ye::Error);
  fs::remove_all(d);
}

TEST_CASE("results.csv: exact header, reference formatting, reader") {
  CHECK(results_csv_header().rfind(
            "epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),metrics/recall(B),"
            "metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,val/dfl_loss,lr/pg0,lr/pg1,lr/pg2,", 0) == 0);
  CHECK(results_csv_columns().size() == kReferenceResultsColumns + 3);
  ResultsRow r;
  r.epoch = 1;
  r.time = 12.3456789;
  r.train_loss = {1.234567891, 2.0000049, 0.999996};
  r.precision = 0.123456789, r.recall = 1e-7, r.map50 = 0.5, r.map50_95 = 0.0;
  r.val_loss = {1.5, 0.000004, 3.14159265};
  r.lr = {0.0700166, 0.000333167, 0.000333167};
  r.images_per_s = 1234.5678, r.gpu_mem_gb = 3.25, r.skipped_steps = 2;
  CHECK(format_results_row(r) ==
        "1,12.3457,1.23457,2,1,0.123457,1e-07,0.5,0,1.5,0,3.14159,0.0700166,0.000333167,0.000333167,1234.57,3.25,2");
  fs::path d = fresh_dir("csv");
  append_results_row(d / "results.csv", r);
  r.epoch = 2;
  r.map50 = 0.625;
  append_results_row(d / "results.csv", r);
  std::string text = read_file(d / "results.csv");
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
  ResultsTable t = read_results_csv(d / "results.csv");
  CHECK(t.columns == results_csv_columns());
  CHECK(t.column("epoch") == std::vector<double>{1, 2});
  CHECK(t.column("metrics/mAP50(B)") == std::vector<double>{0.5, 0.625});
  CHECK_THROWS_AS(t.column("nope"), ye::Error);
  // A resumed run rerunning epoch 2 (its checkpoint was older than the row) replaces that row and later ones.
  r.epoch = 3;
  append_results_row(d / "results.csv", r);
  r.epoch = 2;
  r.map50 = 0.75;
  append_results_row(d / "results.csv", r);
  t = read_results_csv(d / "results.csv");
  CHECK(t.column("epoch") == std::vector<double>{1, 2});
  CHECK(t.column("metrics/mAP50(B)") == std::vector<double>{0.5, 0.75});
  // The reference's older padded format reads too.
  ResultsTable old = parse_results_csv("  epoch,  train/box_loss\n    1,  1.5\n    2, nan\n");
  CHECK(old.column("train/box_loss")[0] == 1.5);
  CHECK(std::isnan(old.column("train/box_loss")[1]));
  fs::remove_all(d);
}

TEST_CASE("console lines match the reference's formats") {
  std::ifstream in(YE_SOURCE_DIR "/tests/parity/goldens/run/optimizer_lines.txt");
  REQUIRE(in.good());
  std::vector<std::string> ref;
  for (std::string line; std::getline(in, line);) ref.push_back(line);
  REQUIRE(ref.size() == 6);
  CHECK(optimizer_auto_line(0.01, 0.937) == ref[0]);
  CHECK(optimizer_line("SGD", 0.01, 0.9, 57, 64, 0.0005, 63) == ref[1]);
  CHECK(optimizer_line("AdamW", 0.000119, 0.9, 57, 64, 0.0005, 63) == ref[3]);
  CHECK(optimizer_line("SGD", 0.01, 0.937, 57, 64, 0.001, 63) == ref[4]);
  CHECK(optimizer_line("AdamW", 0.001, 0.9, 57, 64, 5e-05, 63) == ref[5]);

  CHECK(train_progress_header(false) ==
        "\n      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size");
  CHECK(train_progress_header(true).size() == 1 + 11 * 9);
  TrainProgress p;
  p.epoch = 0, p.epochs = 100, p.gpu_mem_gb = 2.3456, p.losses = {1.23456, 2.5, 0.98765};
  p.instances = 123, p.size = 640, p.done = 5, p.total = 10, p.elapsed_s = 2.0, p.images_per_s = 40.0;
  std::string line = format_train_progress(p, false);
  CHECK(line.rfind("      1/100      2.35G      1.235        2.5     0.9877        123        640:  50%|█████     | 5/10 [00:02<00:02,  2.50it/s]", 0) == 0);
  p.gpu_util = "87%";
  CHECK(format_train_progress(p, true).find("         40        87%:  50%") != std::string::npos);
  CHECK(progress_bar_cells(0.0) == "          ");
  CHECK(progress_bar_cells(1.0) == "██████████");
  CHECK(progress_bar_cells(0.55) == "█████▌    ");
  CHECK(format_interval(3725) == "1:02:05");
  CHECK(format_interval(65) == "01:05");
  CHECK(format_rate(0.5) == " 2.00s/it");
  CHECK(format_val_progress(4, 4, 0.5) ==
        "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95): 100%|██████████| 4/4 [00:00<00:00,  8.00it/s]");

  CHECK(val_header() == "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)");
  CHECK(val_row("all", 128, 929, 0.6543, 0.5, 0.61234, 0.45678) ==
        "                   all        128        929      0.654        0.5      0.612      0.457");
  CHECK(epochs_completed_line(3, 36.0) == "\n3 epochs completed in 0.010 hours.");
  CHECK(speed_line(0.25, 12.345, 0.0, 1.05) == "Speed: 0.2ms preprocess, 12.3ms inference, 0.0ms loss, 1.1ms postprocess per image");
  CHECK(training_start_lines(640, 8, "runs/train/exp", 100) ==
        "Image sizes 640 train, 640 val\nUsing 8 dataloader workers\nLogging results to runs/train/exp\nStarting training for 100 epochs...");
  CHECK(training_start_lines(640, 8, "r", 100, 1.5).find("for 1.5 hours...") != std::string::npos);
  CHECK(model_summary_line("YOLOv8n", 129, 3157200, 3157184, 8.86) ==
        "YOLOv8n summary: 129 layers, 3,157,200 parameters, 3,157,184 gradients, 8.9 GFLOPs");
  CHECK(model_summary_line("YOLO11n", 100, 999, 0, 0, true) == "YOLO11n summary (fused): 100 layers, 999 parameters, 0 gradients");
  CHECK(with_commas(1000) == "1,000");
  CHECK(with_commas(-1234567) == "-1,234,567");
  CHECK(validating_line("w/best.pt") == "\nValidating w/best.pt...");
  CHECK(optimizer_stripped_line("w/last.pt", 6.25) == "Optimizer stripped from w/last.pt, 6.2MB");
}

TEST_CASE("GPU utilisation reader degrades to n/a without NVML") {
  GpuMonitor gpu;
  if (gpu.available()) {
    MESSAGE("NVML present: device 0 utilisation " << gpu.utilization_text(0));
    CHECK(gpu.utilization_text(9999) == "n/a");
  } else {
    CHECK(gpu.utilization_text(0) == "n/a");
    CHECK_FALSE(gpu.utilization_percent(0).has_value());
    CHECK_FALSE(gpu.memory_used_bytes(0).has_value());
  }
}
