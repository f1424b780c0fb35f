// Checkpoint files: weights (reference names) and the resume state (raw arenas + counters). Nothing
// non-finite is written (fault_policy.h); every file goes through write_safetensors' temp + fsync + rename.
#include "yolo/train/checkpoint.h"

#include <nlohmann/json.hpp>

#include <cstring>

#include "engine/ops.h"
#include "yolo/train/fault_policy.h"

namespace ye::yolo {
namespace {
io::SafeTensor raw_tensor(const std::string& name, const Tensor& t) {
  Tensor host = ops::cast(t.detach(), DType::f32).to(Device::cpu()).contiguous();
  io::SafeTensor s;
  s.name = name;
  s.dtype = DType::f32;
  s.shape = {host.numel()};
  s.bytes.resize(host.nbytes());
  std::memcpy(s.bytes.data(), host.data(), host.nbytes());
  return s;
}

void restore(const io::SafeTensorsFile& f, const std::string& name, const Tensor& dst) {
  const io::SafeTensor& s = f.at(name);
  YE_CHECK(s.dtype == DType::f32 && s.numel() == dst.numel(), "training state tensor ", name, " has ", s.numel(),
           " elements, expected ", dst.numel(), " (was the state written for another model?)");
  Tensor host = Tensor::from_blob_copy(s.bytes.data(), dst.shape(), DType::f32, Device::cpu());
  ops::copy_(dst, host);
}
}  // namespace

std::map<std::string, std::string> weights_metadata(const ModelSpec& spec, const std::vector<std::string>& names,
                                                    const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> m = extra;
  m["format"] = "yolo-engine-weights-v1";
  m["model"] = spec.source.empty() ? spec.name : spec.source;
  m["scale"] = spec.scale;
  m["nc"] = std::to_string(spec.nc);
  nlohmann::json by_id = nlohmann::json::object();  // {"0": "person", ...} as the reference's names
  for (size_t i = 0; i < names.size(); ++i) by_id[std::to_string(i)] = names[i];
  m["names"] = by_id.dump();
  return m;
}

PendingFile weights_file(const std::filesystem::path& path, DetectionModel& eval_model,
                         const std::vector<std::string>& names, const std::map<std::string, std::string>& extra) {
  PendingFile f{path.string(), eval_model.state_dict(DType::f32), weights_metadata(eval_model.spec(), names, extra)};
  for (const auto& t : f.tensors) check_finite_for_save(t, f.path);
  return f;
}

std::filesystem::path state_path_for(const std::filesystem::path& weights_path) {
  std::filesystem::path p = weights_path;
  p.replace_extension(".state.safetensors");
  return p;
}

PendingFile train_state_file(const std::filesystem::path& weights_path, DetectionModel& model, const ModelEMA& ema,
                             const Optimizer& optimizer, const GradScaler& scaler, const TrainState& state) {
  std::vector<io::SafeTensor> ts;
  ts.push_back(raw_tensor("model.values", model.parameters().values()));
  ts.push_back(raw_tensor("model.buffers", model.buffers().values()));
  // Gradients accumulated since the last optimizer step carry into the next epoch (accumulate > 1).
  ts.push_back(raw_tensor("model.grads", model.parameters().grads()));
  ts.push_back(raw_tensor("ema.values", ema.values()));
  ts.push_back(raw_tensor("ema.buffers", ema.buffers()));
  for (auto& [name, t] : optimizer.state_tensors()) ts.push_back(raw_tensor(name, t));
  std::vector<float> sc = scaler.state();
  ts.push_back(raw_tensor("scaler", Tensor::from_vector(sc, {int64_t(sc.size())})));
  const TrainCounters& c = state.counters;
  nlohmann::json counters = {{"epoch", c.epoch},
                             {"ema_updates", c.ema_updates},
                             {"optimizer_steps", c.optimizer_steps},
                             {"last_opt_step", c.last_opt_step},
                             {"best_fitness", c.best_fitness},
                             {"elapsed_s", c.elapsed_s},
                             {"finished", c.finished}};
  const std::string state_file = state_path_for(weights_path).string();
  for (const auto& t : ts)
    if (t.name != "model.grads") check_finite_for_save(t, state_file);  // pending gradients may be a skipped step's
  return {state_file, std::move(ts),
          {{"format", "yolo-engine-train-state-v1"}, {"counters", counters.dump()}, {"args_yaml", state.args_yaml}}};
}

TrainState load_train_state(const std::filesystem::path& weights_path, DetectionModel& model, ModelEMA& ema,
                            Optimizer& optimizer, GradScaler& scaler) {
  TrainState st = read_train_state_info(weights_path);
  io::SafeTensorsFile f = io::read_safetensors(state_path_for(weights_path).string());
  restore(f, "model.values", model.parameters().values());
  restore(f, "model.buffers", model.buffers().values());
  restore(f, "model.grads", model.parameters().grads());
  restore(f, "ema.values", ema.values());
  restore(f, "ema.buffers", ema.buffers());
  for (auto& [name, t] : optimizer.state_tensors()) restore(f, name, t);
  const io::SafeTensor& sc = f.at("scaler");
  std::vector<float> scv(size_t(sc.numel()));
  std::memcpy(scv.data(), sc.bytes.data(), sc.bytes.size());
  scaler.load_state(scv);
  st.scaler = scv;
  ema.updates = st.counters.ema_updates;
  optimizer.set_steps(st.counters.optimizer_steps);
  return st;
}

TrainState read_train_state_info(const std::filesystem::path& weights_path) {
  std::filesystem::path sp = state_path_for(weights_path);
  YE_CHECK(std::filesystem::exists(sp), "cannot resume from ", weights_path.string(), ": its training state ",
           sp.string(), " is missing (was the run finished and stripped?)");
  auto meta = io::read_safetensors_metadata(sp.string());
  YE_CHECK(meta["format"] == "yolo-engine-train-state-v1", sp.string(), " is not a yolo-engine training state");
  TrainState st;
  try {
    auto c = nlohmann::json::parse(meta["counters"]);
    st.counters.epoch = c.at("epoch");
    st.counters.ema_updates = c.at("ema_updates");
    st.counters.optimizer_steps = c.at("optimizer_steps");
    st.counters.last_opt_step = c.at("last_opt_step");
    st.counters.best_fitness = c.at("best_fitness");
    st.counters.elapsed_s = c.at("elapsed_s");
    st.counters.finished = c.value("finished", false);  // absent in states written before the flag
  } catch (const nlohmann::json::exception& e) {
    YE_CHECK(false, sp.string(), ": bad training counters: ", e.what());
  }
  st.args_yaml = meta["args_yaml"];
  return st;
}

void check_resumable(const TrainCounters& counters, int64_t epochs, const std::filesystem::path& checkpoint) {
  if (!counters.finished && counters.epoch < epochs) return;
  std::string early = counters.finished && counters.epoch < epochs
                          ? " (stopped early after epoch " + std::to_string(counters.epoch) + ")"
                          : "";
  throw Error(checkpoint.string() + " training to " + std::to_string(epochs) + " epochs is finished" + early +
              ", nothing to resume.\nStart a new training without resuming, i.e. 'yolo train --weights " +
              checkpoint.string() + " --data ...'");
}

}  // namespace ye::yolo
