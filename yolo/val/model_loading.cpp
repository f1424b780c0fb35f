// load_eval_model and the weights-metadata helpers (see model_loading.h).
#include "yolo/val/model_loading.h"

#include <nlohmann/json.hpp>

#include "kernels/error.h"
#include "yolo/model_spec/model_spec.h"

namespace ye::yolo {

int weights_nc(const io::SafeTensorsFile& file) {
  if (auto it = file.metadata.find("nc"); it != file.metadata.end()) {
    try {
      return std::stoi(it->second);
    } catch (const std::exception&) {
      YE_CHECK(false, "weights metadata: nc = '", it->second, "' is not a number");
    }
  }
  const std::string suffix = ".cv3.0.2.bias";
  for (const auto& t : file.tensors)
    if (t.name.size() > suffix.size() && t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        t.shape.size() == 1)
      return int(t.shape[0]);
  return 0;
}

std::vector<std::string> weights_names(const io::SafeTensorsFile& file) {
  auto it = file.metadata.find("names");
  if (it == file.metadata.end()) return {};
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const std::exception& e) {
    YE_CHECK(false, "weights metadata: names is not JSON: ", e.what());
  }
  std::vector<std::string> names;
  if (j.is_array()) {
    for (const auto& v : j) names.push_back(v.get<std::string>());
    return names;
  }
  YE_CHECK(j.is_object(), "weights metadata: names must be a JSON object {\"0\": \"name\", ...}");
  names.resize(j.size());
  for (const auto& [k, v] : j.items()) {
    const size_t id = size_t(std::stoul(k));
    YE_CHECK(id < names.size(), "weights metadata: names has id ", k, " beyond its ", names.size(), " entries");
    names[id] = v.get<std::string>();
  }
  return names;
}

LoadedModel load_eval_model(const std::string& weights, const std::string& fallback_model, Device device) {
  const io::SafeTensorsFile file = io::read_safetensors(weights);
  LoadedModel out;
  auto it = file.metadata.find("model");
  out.model = it != file.metadata.end() && !it->second.empty() ? it->second : fallback_model;
  YE_CHECK(!out.model.empty(), weights, ": no \"model\" metadata; pass --model");
  try {  // metadata and tensor faults name the weights file
    const int nc = weights_nc(file);
    out.names = weights_names(file);
    const ModelSpec spec = load_model_spec(out.model, nc);
    out.net = std::make_unique<DetectionModel>(spec, device);
    out.net->load_state_dict(file, true);
  } catch (const std::exception& e) {
    YE_FAIL(weights, ": ", e.what());
  }
  out.net->set_training(false);
  return out;
}

}  // namespace ye::yolo
