// Error type and checking macros shared by every layer (kernels and up). Every failed check throws
// ye::Error naming what failed and where (file:line); CUDA/cuBLAS/cuDNN/NCCL checks: kernels/cuda/cuda_check.h.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace ye {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args>
[[noreturn]] void fail(const char* file, int line, Args&&... args) {
  std::ostringstream os;
  (os << ... << args);
  os << " (" << file << ":" << line << ")";
  throw Error(os.str());
}
}  // namespace detail

}  // namespace ye

// YE_CHECK(cond, parts...): throws ye::Error built from the streamed parts when cond is false.
#define YE_CHECK(cond, ...)                                              \
  do {                                                                   \
    if (!(cond)) ::ye::detail::fail(__FILE__, __LINE__, __VA_ARGS__);    \
  } while (0)
#define YE_FAIL(...) ::ye::detail::fail(__FILE__, __LINE__, __VA_ARGS__)
