// safetensors files on raw bytes (no Tensor type): reading with full validation of the header
// (dtype, shape, data_offsets covering the data exactly) and writing atomically (temp file + rename).
// Dtypes F32, F16, BF16, I32, U8 map to ye::DType; I64 (PyTorch's num_batches_tracked) is read into
// i32 when every value fits. Errors throw ye::Error naming the file and the tensor.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernels/dtype.h"

namespace ye::io {

struct SafeTensor {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;   // [] is a scalar (one element)
  std::vector<uint8_t> bytes;   // little-endian, row-major, numel * dtype_size bytes
  int64_t numel() const;
};

struct SafeTensorsFile {
  std::vector<SafeTensor> tensors;              // in data-offset order
  std::map<std::string, std::string> metadata;  // "__metadata__" (string -> string)
  const SafeTensor* find(const std::string& name) const;  // nullptr when absent
  const SafeTensor& at(const std::string& name) const;    // throws naming the missing tensor
};

// Parses a whole file's bytes; `source` names it in error messages.
SafeTensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& source);
SafeTensorsFile read_safetensors(const std::string& path);
// The "__metadata__" of a file, from its header alone (no tensor data is read); checks as above.
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

// The file's bytes: 8-byte header length, JSON header padded with spaces to 8 bytes, data in the
// given order. Names must be unique and byte sizes must match shapes.
std::vector<uint8_t> serialize_safetensors(const std::vector<SafeTensor>& tensors,
                                           const std::map<std::string, std::string>& metadata = {});
// Writes `path` via a temporary file in the same folder and a rename (never a half-written file).
void write_safetensors(const std::string& path, const std::vector<SafeTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace ye::io
