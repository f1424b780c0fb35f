// libFuzzer target: model configs (yolo/model_spec): the first byte picks YAML or TOML, the rest is
// the file; parse, then resolve the spec (layer graph, channels, strides) with its parameter count.
#include <cstdint>
#include <exception>

#include "fuzz_input.h"
#include "yolo/model_spec/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* ext = data[0] % 2 ? ".toml" : ".yaml";
  const std::string path = ye::fuzz::input_file("model_config", ext, data + 1, size - 1);
  try {
    ye::yolo::ModelSpec spec = ye::yolo::build_model_spec(ye::yolo::parse_model_config(path), "", 0);
    if (ye::yolo::model_counts(spec).parameters <= 0) __builtin_trap();
  } catch (const std::exception&) {
  }
  return 0;
}
