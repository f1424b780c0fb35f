// Building the model that `yolo val` / `yolo predict` run from a safetensors weights file. The file's
// __metadata__ (docs/WEIGHTS.md) names the architecture: "model" (yolov8n..x, yolo11n..x or a
// .toml/.yaml config path), "nc" (decimal) and "names" (JSON object {"0": "person", ...}); without
// "model" the caller's fallback (--model) is used, without "nc" it is read from the cls head's last
// bias (model.<detect>.cv3.0.2.bias). Weights are loaded strictly. Defines LoadedModel, load_eval_model.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "yolo/model/detection_model.h"

namespace ye::yolo {

struct LoadedModel {
  std::string model;                    // architecture used (metadata "model" or the fallback)
  std::vector<std::string> names;       // metadata "names" (empty when absent)
  std::unique_ptr<DetectionModel> net;  // eval mode, on the requested device
};

// The class count a weights file implies: metadata "nc", else the cls head's final bias length, else 0.
int weights_nc(const io::SafeTensorsFile& file);
// metadata "names" as a list indexed by class id (empty when absent; throws when malformed).
std::vector<std::string> weights_names(const io::SafeTensorsFile& file);

LoadedModel load_eval_model(const std::string& weights, const std::string& fallback_model, Device device);

}  // namespace ye::yolo
