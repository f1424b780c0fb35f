// The OOM message checks (see oom_checks.h).
#include "oom_checks.h"

#include <doctest/doctest.h>

namespace ye::test {

void check_oom_message(const std::string& text, int device, const std::string& requested) {
  auto has = [&](const std::string& part) { return text.find(part) != std::string::npos; };
  CHECK(has("CUDA out of memory on cuda:" + std::to_string(device)));
  CHECK(has("tried to allocate " + requested));
  CHECK(has("in use by tensors"));
  CHECK(has("reserved by the caching allocator"));
  CHECK(has("free of"));
  for (const char* knob : {"--batch", "--accumulate", "--imgsz"}) CHECK_MESSAGE(has(knob), "advice ", knob);
}

}  // namespace ye::test
