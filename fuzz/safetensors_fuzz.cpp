// libFuzzer target: the safetensors reader (engine/io/safetensors.h) on raw bytes. An accepted file
// must re-serialise to bytes that parse to the same tensors.
#include <cstdint>
#include <exception>

#include "engine/io/safetensors.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ye::io::SafeTensorsFile f;
  try {
    f = ye::io::parse_safetensors(data, size, "fuzz");
  } catch (const ye::Error&) {
    return 0;
  }
  std::vector<uint8_t> again = ye::io::serialize_safetensors(f.tensors, f.metadata);
  ye::io::SafeTensorsFile g = ye::io::parse_safetensors(again.data(), again.size(), "fuzz-again");
  if (g.tensors.size() != f.tensors.size()) __builtin_trap();
  for (size_t i = 0; i < f.tensors.size(); ++i)
    if (g.tensors[i].bytes != f.tensors[i].bytes || g.tensors[i].shape != f.tensors[i].shape) __builtin_trap();
  return 0;
}
