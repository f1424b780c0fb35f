// CUDA runtime pieces: the caching allocator (no cudaMalloc after warm-up of a repeated train-like
// pattern; a clear OOM message), identical random numbers on CPU and GPU, pinned asynchronous copies.
#include <cstring>

#include "common/harness.h"
#include "engine/allocator.h"
#include "engine/host_memory.h"

using namespace ye;

TEST_CASE("after warm-up a repeated train-like allocation pattern makes no new cudaMalloc call") {
  Device dev = Device::cuda(0);
  auto step = [&] {
    // Activations of varied sizes held until "backward", gradients, temporaries freed at once.
    std::vector<Tensor> saved;
    for (int i = 0; i < 30; ++i) saved.push_back(Tensor::empty({int64_t(1000 + 997 * i), 3}, DType::f16, dev));
    for (int i = 0; i < 10; ++i) {
      Tensor tmp = Tensor::empty({int64_t(50000 + 13 * i)}, DType::f32, dev);
      ops::fill_(tmp, 1.0f);
    }
    while (!saved.empty()) {
      Tensor g = Tensor::empty(saved.back().shape(), DType::f16, dev);
      saved.pop_back();
    }
  };
  for (int i = 0; i < 3; ++i) step();
  ops::synchronize(dev);
  AllocatorStats warm = allocator_stats(dev);
  for (int i = 0; i < 20; ++i) step();
  ops::synchronize(dev);
  AllocatorStats after = allocator_stats(dev);
  CHECK(after.num_device_mallocs == warm.num_device_mallocs);
  CHECK(after.num_allocs > warm.num_allocs);
  CHECK(after.peak_bytes_in_use >= after.bytes_in_use);
}

TEST_CASE("out of memory names the request, the device and what to do") {
  try {
    Tensor huge = Tensor::empty({int64_t(1) << 50}, DType::f32, Device::cuda(0));
    FAIL("allocation of 4 PiB succeeded");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(m.find("out of memory") != std::string::npos);
    CHECK(m.find("cuda:0") != std::string::npos);
    CHECK(m.find("--batch") != std::string::npos);
  }
  Tensor ok = Tensor::zeros({16}, DType::f32, Device::cuda(0));  // the allocator still works
  CHECK(ok.to_vector()[3] == 0.0f);
}

TEST_CASE("a seed gives the same uniform and normal numbers on CPU and GPU") {
  for (DType t : {DType::f32}) {
    Generator a(1234), b(1234);
    Tensor c = Tensor::empty({4099}, t), g = Tensor::empty({4099}, t, Device::cuda(0));
    ops::uniform_(c, -2, 3, a);
    ops::uniform_(g, -2, 3, b);
    CHECK(c.to_vector() == g.to_vector());
    ops::normal_(c, 0, 1, a);
    ops::normal_(g, 0, 1, b);
    test::check_close(g.to_vector(), c.to_vector(), 1e-5, 1e-5, "normal CPU vs GPU");
  }
}

TEST_CASE("asynchronous host-to-device copies from pinned memory") {
  CHECK(host_memory_stats().pinned);
  size_t n = 1 << 20;
  auto host = pinned_host_alloc(n * sizeof(float));
  float* p = static_cast<float*>(host.get());
  for (size_t i = 0; i < n; ++i) p[i] = float(i % 977);
  Tensor d = Tensor::empty({int64_t(n)}, DType::f32, Device::cuda(0));
  ops::copy_from_host_async(d, p, n * sizeof(float));
  Tensor s = ops::sum(d);
  double expect = 0;
  for (size_t i = 0; i < n; ++i) expect += p[i];
  CHECK(s.item() == doctest::Approx(expect).epsilon(1e-5));
}
