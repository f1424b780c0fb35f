// The GPU out-of-memory message, formatted on CPU: it names the device, the requested size, the bytes
// in use and reserved, the device's free/total memory, and the three settings that shrink memory.
#include <doctest/doctest.h>

#include "engine/oom_message.h"

using namespace ye;

TEST_CASE("human_bytes: three significant digits in binary units") {
  CHECK(human_bytes(512) == "512 B");
  CHECK(human_bytes(size_t(3) << 19) == "1.5 MiB");
  CHECK(human_bytes(size_t(1) << 40) == "1 TiB");
  CHECK(human_bytes(size_t(5) << 29) == "2.5 GiB");
}

TEST_CASE("cuda_oom_message names the request, what is held and what to change") {
  OomFacts f;
  f.device = 1;
  f.requested = size_t(1) << 40;
  f.in_use = size_t(3) << 30;
  f.reserved = size_t(4) << 30;
  f.device_free = size_t(70) << 30;
  f.device_total = size_t(80) << 30;
  std::string m = cuda_oom_message(f);
  CHECK(m.find("CUDA out of memory on cuda:1") == 0);
  CHECK(m.find("tried to allocate 1 TiB") != std::string::npos);
  CHECK(m.find("3 GiB in use by tensors") != std::string::npos);
  CHECK(m.find("4 GiB reserved by the caching allocator") != std::string::npos);
  CHECK(m.find("70 GiB free of 80 GiB on the device") != std::string::npos);
  for (const char* knob : {"--batch", "--accumulate", "--imgsz"}) CHECK(m.find(knob) != std::string::npos);
}
