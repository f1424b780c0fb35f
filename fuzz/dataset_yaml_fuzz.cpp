// libFuzzer target: the dataset YAML reader (data/dataset_yaml.h), through a scratch file. Split
// folders are not listed (an input may name "/"); errors are ye::Error or std::exception, never a crash.
#include <cstdint>
#include <exception>

#include "data/dataset_yaml.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ye::fuzz::input_file("dataset_yaml", ".yaml", data, size);
  try {
    ye::data::DatasetConfig cfg = ye::data::load_dataset_yaml(path);
    if (cfg.nc() <= 0) __builtin_trap();
  } catch (const std::exception&) {
  }
  return 0;
}
