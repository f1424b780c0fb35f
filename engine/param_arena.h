// Parameter arena: all parameters of a model (of one dtype) live in one contiguous value buffer and
// their gradients in one contiguous grad buffer, handed to modules as views. Whole-model passes
// (gradient all-reduce, unscale, clipping, optimizer updates, EMA) are then single passes over memory.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/tensor.h"

namespace ye {

class ParameterArena {
 public:
  struct Entry {
    std::string name;
    Tensor param;   // view into values()
    int64_t offset; // in elements
    int64_t numel;
  };

  ParameterArena() = default;
  // Moves the parameters' storage into the arena on `device` (values copied, same TensorImpl objects,
  // so every holder sees the arena view) and, when trainable, gives each a zeroed grad view (buffers
  // such as BN running statistics are adopted with trainable = false: no grads). Call once.
  void adopt(const std::vector<std::pair<std::string, Tensor>>& named, Device device, bool trainable = true);

  const Tensor& values() const { return values_; }  // [total] f32
  const Tensor& grads() const { return grads_; }    // [total] f32 (undefined when not trainable)
  const std::vector<Entry>& entries() const { return entries_; }
  int64_t total() const { return total_; }
  void zero_grad() const;

  // A low-precision (f16/bf16) twin of values(), same layout, allocated on first use and kept (a
  // captured CUDA graph keeps addressing it); refresh_low_copy() enqueues the one cast that fills it.
  const Tensor& low_copy(DType dtype);
  void refresh_low_copy(DType dtype);
  // The entry whose parameter is the tensor with this TensorImpl, or null.
  const Entry* find(const TensorImpl* param) const;

  static constexpr int64_t kAlign = 64;  // elements: every parameter starts 256-byte aligned

 private:
  Tensor values_, grads_;
  Tensor low_[2];  // f16, bf16
  std::vector<Entry> entries_;
  std::unordered_map<const TensorImpl*, size_t> index_;
  int64_t total_ = 0;
};

}  // namespace ye
