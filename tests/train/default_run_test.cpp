// The embedded default run (`yolo train` without --data, `make demo`): on the CPU it must finish in
// CI's budget and the detector must learn the synthetic shapes (mAP50 >= 0.5 at the final validation).
#include <filesystem>

#include "common/harness.h"
#include "yolo/train/trainer.h"

using namespace ye;

TEST_CASE("the embedded default run reaches mAP50 >= 0.5 on the CPU") {
  yolo::TrainArgs a = yolo::parse_train_args({"--device", "cpu", "--project", "default_run_test", "--exist_ok", "true",
                                              "--plots", "false"})
                          .args;
  a = yolo::embedded_default_args(a, {"device", "project", "exist_ok", "plots"});
  CHECK(a.imgsz == 160);
  yolo::TrainSummary s = yolo::Trainer(a).train();
  MESSAGE("embedded default: mAP50 ", s.map50, ", mAP50-95 ", s.map50_95, " after ", s.epochs_completed, " epochs");
  CHECK(s.epochs_completed == a.epochs);
  CHECK(s.map50 >= 0.5);
}
