// The checks shared by the GPU out-of-memory tests (tests/engine/gpu/oom_cuda_test.cpp, the thrown
// ye::Error; tests/train/gpu/oom_train_cuda_test.cpp, `yolo train`'s log): the text names the device,
// the requested size, the bytes in use and reserved, the device's free memory and the advice.
#pragma once
#include <string>

namespace ye::test {

// CHECKs that `text` holds the message of engine/oom_message.h for cuda:<device>; `requested` (as
// human_bytes prints it, "1 TiB"), when given, must be the size named after "tried to allocate".
// The caller INFOs the text when it wants it shown on failure.
void check_oom_message(const std::string& text, int device, const std::string& requested = "");

}  // namespace ye::test
