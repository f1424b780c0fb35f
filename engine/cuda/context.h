// The per-device context, the only process-wide state of the engine: for each CUDA device its compute
// stream, cuBLAS / cuBLASLt / cuDNN handles bound to that stream, the caching allocator, a growable
// workspace and the TF32 switch. Created on first use, one per device, never destroyed before exit.
#pragma once
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "engine/cuda/caching_allocator.h"

namespace ye::cuda {

struct DeviceContext {
  explicit DeviceContext(int device);
  int device;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublaslt = nullptr;
  cudnnHandle_t cudnn = nullptr;
  CachingAllocator allocator;
  bool allow_tf32 = false;

  // Scratch memory of at least `bytes`, valid until the next call on this stream. While a graph is
  // being captured the scratch comes from the graph's pool, so growing it later never frees memory a
  // graph still addresses.
  void* workspace(size_t bytes);
  void begin_capture();  // called by StepGraph around a capture
  void end_capture();

 private:
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  bool capturing_ = false;
  void* capture_workspace_ = nullptr;
  size_t capture_workspace_bytes_ = 0;
  void* cublas_workspace_ = nullptr;
};

DeviceContext& context(int device);

// Sets the current device for the calling thread (cheap when already current).
void set_device(int device);

}  // namespace ye::cuda
