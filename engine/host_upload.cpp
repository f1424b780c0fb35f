// HostUploader (see host_upload.h): a copy stream, per-slot staging buffers and the two events that
// order a slot's reuse (copied: the H2D copy ended; consumed: the compute stream moved it out).
#include "engine/host_upload.h"

#include <cstring>

#include "kernels/error.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#endif

namespace ye {

struct HostUploader::Slot {
  Tensor staging;  // u8 on the device
  std::shared_ptr<void> keep;
#ifdef YE_WITH_CUDA
  cudaEvent_t copied = nullptr, consumed = nullptr;
  bool used = false;
#endif
};

HostUploader::HostUploader(Device device, int slots) : device_(device) {
  YE_CHECK(slots >= 1, "HostUploader needs at least one slot");
  for (int i = 0; i < slots; ++i) slots_.push_back(std::make_unique<Slot>());
#ifdef YE_WITH_CUDA
  if (device.is_cuda()) {
    cuda::set_device(device.index);
    cudaStream_t s = nullptr;
    YE_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    copy_stream_ = s;
    for (auto& slot : slots_) {
      YE_CUDA_CHECK(cudaEventCreateWithFlags(&slot->copied, cudaEventDisableTiming));
      YE_CUDA_CHECK(cudaEventCreateWithFlags(&slot->consumed, cudaEventDisableTiming));
    }
  }
#endif
}

HostUploader::~HostUploader() {
#ifdef YE_WITH_CUDA
  if (!device_.is_cuda()) return;
  // Copies in flight still read host memory and write the staging buffers.
  cudaStreamSynchronize(static_cast<cudaStream_t>(copy_stream_));
  cudaStreamSynchronize(cuda::context(device_.index).stream);
  for (auto& slot : slots_) {
    cudaEventDestroy(slot->copied);
    cudaEventDestroy(slot->consumed);
  }
  cudaStreamDestroy(static_cast<cudaStream_t>(copy_stream_));
#endif
}

void HostUploader::upload(const Tensor& dst, const void* host, size_t nbytes, std::shared_ptr<void> keep) {
  YE_CHECK(dst.device() == device_ && dst.is_contiguous() && dst.nbytes() == nbytes, "HostUploader: ", nbytes,
           " bytes into a ", dst.nbytes(), "-byte tensor on ", dst.device().str(), " (uploader on ", device_.str(),
           ")");
  if (nbytes == 0) return;
  if (device_.is_cpu()) {
    std::memcpy(dst.data(), host, nbytes);
    return;
  }
#ifdef YE_WITH_CUDA
  Slot& slot = *slots_[next_];
  next_ = (next_ + 1) % slots_.size();
  auto copy = static_cast<cudaStream_t>(copy_stream_);
  cudaStream_t compute = cuda::context(device_.index).stream;
  if (slot.used) {
    YE_CUDA_CHECK(cudaEventSynchronize(slot.copied));  // its previous host memory is free to go
    slot.keep.reset();
  }
  if (!slot.staging.defined() || slot.staging.nbytes() < nbytes) {
    if (slot.used) YE_CUDA_CHECK(cudaEventSynchronize(slot.consumed));
    slot.staging = Tensor::empty({int64_t(nbytes)}, DType::u8, device_);
    YE_CUDA_CHECK(cudaEventRecord(slot.consumed, compute));  // the allocation is ordered on compute
  }
  YE_CUDA_CHECK(cudaStreamWaitEvent(copy, slot.consumed, 0));
  YE_CUDA_CHECK(cudaMemcpyAsync(slot.staging.data(), host, nbytes, cudaMemcpyHostToDevice, copy));
  YE_CUDA_CHECK(cudaEventRecord(slot.copied, copy));
  YE_CUDA_CHECK(cudaStreamWaitEvent(compute, slot.copied, 0));
  YE_CUDA_CHECK(cudaMemcpyAsync(dst.data(), slot.staging.data(), nbytes, cudaMemcpyDeviceToDevice, compute));
  YE_CUDA_CHECK(cudaEventRecord(slot.consumed, compute));
  slot.keep = std::move(keep);
  slot.used = true;
#else
  YE_FAIL("HostUploader on ", device_.str(), ": this build has no CUDA backend");
#endif
}

}  // namespace ye
