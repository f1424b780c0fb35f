// HostUploader on the GPU: many uploads in a row through two staging slots, queued behind long
// compute work, each landing intact in its own destination; the host memory handed in as owner is
// released only after its copy, so the caller's reuse of a buffer it no longer owns cannot corrupt it.
#include <doctest/doctest.h>

#include <cstring>
#include <numeric>

#include "engine/host_memory.h"
#include "engine/host_upload.h"
#include "engine/ops.h"

using namespace ye;

TEST_CASE("HostUploader: successive uploads arrive intact while the compute stream is busy") {
  const Device dev = Device::cuda(0);
  HostUploader up(dev);
  const size_t n = size_t(6) << 20;
  Tensor busy = Tensor::empty({int64_t(16) << 20}, DType::f32, dev);
  std::vector<Tensor> dst;
  std::vector<std::weak_ptr<void>> owners;
  for (int k = 0; k < 7; ++k) {
    for (int r = 0; r < 4; ++r) ops::fill_(busy, float(k + r));  // keeps the compute stream behind
    std::shared_ptr<void> host = pinned_host_alloc(n);
    auto* bytes = static_cast<uint8_t*>(host.get());
    for (size_t i = 0; i < n; ++i) bytes[i] = uint8_t((i * 31 + size_t(k) * 7) & 0xFF);
    dst.push_back(Tensor::empty({int64_t(n)}, DType::u8, dev));
    owners.push_back(host);
    up.upload(dst.back(), host.get(), n, host);
  }
  ops::synchronize(dev);
  for (int k = 0; k < 7; ++k) {
    Tensor h = dst[size_t(k)].to(Device::cpu());
    const auto* got = h.data_as<uint8_t>();
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) bad += got[i] != uint8_t((i * 31 + size_t(k) * 7) & 0xFF);
    INFO("upload ", k);
    CHECK(bad == 0);
  }
  // Two slots: all but the last two owners were released once their slot was reused.
  for (int k = 0; k < 5; ++k) CHECK(owners[size_t(k)].expired());
}

TEST_CASE("HostUploader rejects a destination of the wrong size or device") {
  HostUploader up(Device::cuda(0));
  std::vector<uint8_t> host(64);
  CHECK_THROWS_AS(up.upload(Tensor::empty({32}, DType::u8, Device::cuda(0)), host.data(), 64, nullptr), Error);
  CHECK_THROWS_AS(up.upload(Tensor::empty({64}, DType::u8, Device::cpu()), host.data(), 64, nullptr), Error);
}
