// The CUDA timing loop of every GPU row: one warm-up call outside the timing, then per repetition an
// L2 flush (a memset over twice the L2 size), CUDA events around the body on the stream, and the
// event time as the manual iteration time. Also DeviceBuffer (RAII cudaMalloc) and host/device copies
// of f32 vectors converted to f16/bf16/f32.
#pragma once
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <functional>
#include <vector>

#include "kernels/dtype.h"

namespace ye::bench {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr, o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  void* get() const { return ptr_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// f32 host values -> device buffer of dtype t (rounded), and back to f32 on the host.
DeviceBuffer upload(const std::vector<float>& v, DType t);
std::vector<float> download(const void* d, size_t n, DType t);
// f16/bf16 bit patterns of host values (for CPU twins that take 16-bit inputs).
std::vector<uint16_t> to_bits16(const std::vector<float>& v, DType t);
// Host values rounded to dtype t and back (what the device sees), for CPU references.
std::vector<float> round_to(const std::vector<float>& v, DType t);

class GpuLoop {
 public:
  explicit GpuLoop(cudaStream_t stream);
  ~GpuLoop();
  GpuLoop(const GpuLoop&) = delete;
  GpuLoop& operator=(const GpuLoop&) = delete;
  // Runs the loop over `st`; returns the total timed seconds.
  double run(benchmark::State& st, const std::function<void()>& body);

 private:
  cudaStream_t stream_;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
  DeviceBuffer flush_;
};

}  // namespace ye::bench
