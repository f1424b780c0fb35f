// Per-device contexts: creation of stream and library handles, and the workspace.
#include "engine/cuda/context.h"

#include <array>
#include <memory>
#include <mutex>

#include "kernels/cuda/cuda_check.h"

namespace ye::cuda {

DeviceContext::DeviceContext(int dev) : device(dev), allocator(dev) {
  YE_CUDA_CHECK(cudaSetDevice(dev));
  YE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  YE_CUBLAS_CHECK(cublasCreate(&cublas));
  YE_CUBLAS_CHECK(cublasSetStream(cublas, stream));
  // A workspace of our own: cuBLAS's default one is allocated lazily, which a graph capture forbids.
  constexpr size_t kCublasWorkspace = size_t(32) << 20;
  cublas_workspace_ = allocator.allocate(kCublasWorkspace, stream);
  YE_CUBLAS_CHECK(cublasSetWorkspace(cublas, cublas_workspace_, kCublasWorkspace));
  YE_CUBLAS_CHECK(cublasLtCreate(&cublaslt));
  YE_CUDNN_CHECK(cudnnCreate(&cudnn));
  YE_CUDNN_CHECK(cudnnSetStream(cudnn, stream));
}

void* DeviceContext::workspace(size_t bytes) {
  if (capturing_) {
    if (bytes > capture_workspace_bytes_) {
      if (capture_workspace_) allocator.free(capture_workspace_);
      capture_workspace_ = allocator.allocate(bytes, stream);
      capture_workspace_bytes_ = CachingAllocator::round_size(bytes);
    }
    return capture_workspace_;
  }
  if (bytes > workspace_bytes_) {
    if (workspace_) allocator.free(workspace_);
    workspace_ = allocator.allocate(bytes, stream);
    workspace_bytes_ = CachingAllocator::round_size(bytes);
  }
  return workspace_;
}

void DeviceContext::begin_capture() {
  capturing_ = true;
  capture_workspace_ = nullptr;
  capture_workspace_bytes_ = 0;
}

void DeviceContext::end_capture() {
  // Back into the graph's pool (still active): only that graph's replays use it from now on.
  if (capture_workspace_) allocator.free(capture_workspace_);
  capture_workspace_ = nullptr;
  capture_workspace_bytes_ = 0;
  capturing_ = false;
}

constexpr int kMaxDevices = 64;

DeviceContext& context(int device) {
  static std::array<std::unique_ptr<DeviceContext>, kMaxDevices> contexts;
  static std::mutex mutex;
  YE_CHECK(device >= 0 && device < kMaxDevices, "invalid CUDA device index ", device);
  std::lock_guard<std::mutex> lock(mutex);
  if (!contexts[device]) {
    int count = 0;
    YE_CUDA_CHECK(cudaGetDeviceCount(&count));
    YE_CHECK(device < count, "CUDA device ", device, " requested but only ", count, " present");
    contexts[device] = std::make_unique<DeviceContext>(device);
  }
  return *contexts[device];
}

void set_device(int device) {
  thread_local int current = -1;
  if (current != device) {
    YE_CUDA_CHECK(cudaSetDevice(device));
    current = device;
  }
}

}  // namespace ye::cuda
