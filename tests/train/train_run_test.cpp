// End-to-end training on the CPU: a one-epoch coco8 run writes every output file of a run folder;
// a run stopped after epoch 1 and resumed gives bit-identical losses to an uninterrupted run; bad
// arguments stop with a message naming the argument.
#include <filesystem>

#include "common/harness.h"
#include "data/synth.h"
#include "yolo/run/results_csv.h"
#include "yolo/train/trainer.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
yolo::TrainArgs small_args(const std::string& data, const std::string& project, const std::string& name) {
  yolo::TrainArgs a = yolo::parse_train_args({"--data", data, "--model", "yolov8n", "--imgsz", "64", "--batch", "2",
                                              "--workers", "1", "--project", project, "--name", name,
                                              "--exist_ok", "true", "--device", "cpu"})
                          .args;
  return a;
}
}  // namespace

TEST_CASE("a one-epoch coco8 run on the CPU writes every output file") {
  std::string data = std::string(YE_SOURCE_DIR) + "/../shared/datasets/coco8/coco8.yaml";
  if (!fs::exists(data)) {
    MESSAGE("skipped: ", data, " not found");
    return;
  }
  fs::path project = fs::absolute("train_test_runs");
  fs::remove_all(project / "coco8");
  yolo::TrainArgs a = small_args(data, project.string(), "coco8");
  a.epochs = 1;
  yolo::TrainSummary s = yolo::Trainer(a).train();
  CHECK(s.epochs_completed == 1);
  fs::path run = project / "coco8";
  for (const char* f : {"args.yaml", "results.csv", "results.png", "labels.jpg", "labels_correlogram.jpg",
                        "train_batch0.jpg", "train_batch1.jpg", "confusion_matrix.png",
                        "confusion_matrix_normalized.png", "BoxPR_curve.png", "BoxF1_curve.png", "BoxP_curve.png",
                        "BoxR_curve.png", "val_batch0_labels.jpg", "val_batch0_pred.jpg", "weights/last.safetensors",
                        "weights/best.safetensors", "weights/last.state.safetensors"}) {
    INFO(f);
    CHECK(fs::exists(run / f));
  }
  bool events = false;
  for (auto& e : fs::directory_iterator(run)) events |= e.path().filename().string().rfind("events.out.tfevents", 0) == 0;
  CHECK(events);
  yolo::ResultsTable t = yolo::read_results_csv(run / "results.csv");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.columns[0] == "epoch");
  CHECK(t.columns[14] == "lr/pg2");
  CHECK(t.column("train/box_loss")[0] > 0);
}

TEST_CASE("stopping after epoch 1 and resuming gives bit-identical losses to an uninterrupted run") {
  data::SynthOptions so;
  so.out_dir = "train_test_synth";
  so.images = 12;
  so.imgsz = 64;
  so.seed = 3;
  std::string yaml = data::generate_synthetic_dataset(so).yaml_path;
  fs::path project = fs::absolute("train_test_runs");
  fs::remove_all(project / "full");
  fs::remove_all(project / "split");
  yolo::TrainArgs full = small_args(yaml, project.string(), "full");
  full.epochs = 2;
  full.plots = false;
  full.close_mosaic = 1;
  yolo::Trainer(full).train();
  yolo::TrainArgs part = full;
  part.name = "split";
  {
    yolo::Trainer t(part);
    t.stop_after_epochs(1);
    t.train();
  }
  yolo::TrainArgs resume = part;
  resume.resume.text = (project / "split" / "weights" / "last.safetensors").string();
  yolo::Trainer(resume).train();
  yolo::ResultsTable a = yolo::read_results_csv(project / "full" / "results.csv");
  yolo::ResultsTable b = yolo::read_results_csv(project / "split" / "results.csv");
  REQUIRE(a.rows.size() == 2);
  REQUIRE(b.rows.size() == 2);
  for (const char* col : {"train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss", "metrics/mAP50-95(B)",
                          "lr/pg0", "lr/pg1"}) {
    auto ca = a.column(col), cb = b.column(col);
    INFO(std::string(col), ": uninterrupted ", ca[0], ", ", ca[1], " vs resumed ", cb[0], ", ", cb[1]);
    CHECK(ca == cb);
  }
}

TEST_CASE("unknown and malformed training arguments name the argument") {
  try {
    yolo::parse_train_args({"--epoch", "3"});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("epochs") != std::string::npos);
  }
  CHECK_THROWS_AS(yolo::parse_train_args({"--batch", "many"}), Error);
}
