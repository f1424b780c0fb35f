// The text of a GPU out-of-memory error: what was asked for, what the caching allocator holds (in use
// by tensors, reserved including its cache) and what the device reports free, then what to change.
// Plain formatting, so it is unit-tested on CPU (tests/engine/oom_message_test.cpp).
#pragma once
#include <cstddef>
#include <string>

namespace ye {

struct OomFacts {
  int device = 0;
  size_t requested = 0;       // bytes the caller asked for
  size_t in_use = 0;          // held by live tensors
  size_t reserved = 0;        // held from cudaMalloc (in use + cached), after the cache was given back
  size_t device_free = 0;     // cudaMemGetInfo
  size_t device_total = 0;
};

// "CUDA out of memory on cuda:0: tried to allocate 1024 GiB; ..., then the advice (--batch, --accumulate, --imgsz).
std::string cuda_oom_message(const OomFacts& f);

// 512 B, 3.5 MiB, 1.25 GiB: three significant digits.
std::string human_bytes(size_t bytes);

}  // namespace ye
