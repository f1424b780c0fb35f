// The embedded default training run (`yolo train` without --data, and `make demo`): a synthetic shapes
// dataset generated under runs/synth/default (once), yolov8n at a small image size, sized so that a
// 2-core CPU finishes in minutes and the detector clearly learns (mAP50 well above 0.5).
#include <filesystem>

#include "data/synth.h"
#include "yolo/train/trainer.h"

namespace ye::yolo {

TrainArgs embedded_default_args(TrainArgs args) {
  data::SynthOptions so;
  so.out_dir = "runs/synth/default";
  so.images = 400;
  so.classes = 3;
  so.imgsz = 160;
  so.val_fraction = 0.2;
  so.max_objects = 3;
  so.seed = 0;
  std::filesystem::path yaml = std::filesystem::path(so.out_dir) / "data.yaml";
  if (!std::filesystem::exists(yaml)) {
    data::SynthResult r = data::generate_synthetic_dataset(so);
    yaml = r.yaml_path;
  }
  args.data = yaml.string();
  if (args.model.empty()) args.model = "yolov8n";
  args.imgsz = 160;
  args.epochs = 30;
  args.batch = 16;
  args.close_mosaic = 5;
  if (args.name.empty()) args.name = "default";
  return args;
}

}  // namespace ye::yolo
