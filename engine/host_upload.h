// Host-to-device uploads that overlap the compute stream: each upload is copied from (pinned) host
// memory into one of a few device staging buffers on a separate copy stream while earlier work still
// computes, and the compute stream waits for it and moves it into the destination. The host memory
// is kept alive (by the owner handed in) until its copy has completed, so a loader may reuse it
// safely afterwards. On the CPU an upload is a memcpy.
#pragma once
#include <memory>
#include <vector>

#include "engine/tensor.h"

namespace ye {

class HostUploader {
 public:
  explicit HostUploader(Device device, int slots = 2);
  ~HostUploader();
  HostUploader(const HostUploader&) = delete;
  HostUploader& operator=(const HostUploader&) = delete;

  // dst: contiguous, on the uploader's device, nbytes long. `keep` owns `host` (may be null when the
  // caller guarantees the memory outlives the copy).
  void upload(const Tensor& dst, const void* host, size_t nbytes, std::shared_ptr<void> keep);

 private:
  struct Slot;
  Device device_;
  std::vector<std::unique_ptr<Slot>> slots_;
  size_t next_ = 0;
  void* copy_stream_ = nullptr;  // cudaStream_t
};

}  // namespace ye
