// Element types shared by every layer of the code (kernels have no Tensor type, but do know dtypes).
// f16/bf16 are stored as 16-bit patterns; on the CPU they convert through Eigen::half/bfloat16.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ye {

enum class DType : uint8_t { f32, f16, bf16, i32, u8 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i32: return 4;
    case DType::u8: return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
    case DType::u8: return "u8";
  }
  return "?";
}

constexpr bool dtype_is_float(DType t) { return t == DType::f32 || t == DType::f16 || t == DType::bf16; }

}  // namespace ye
