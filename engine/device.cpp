// Device parsing and CUDA presence queries.
#include "engine/device.h"

#include <algorithm>
#include <cctype>

#include "kernels/error.h"
#ifdef YE_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace ye {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  std::string num = text.rfind("cuda:", 0) == 0 ? text.substr(5) : text;
  YE_CHECK(!num.empty() && std::all_of(num.begin(), num.end(), [](char c) { return std::isdigit(c); }),
           "invalid device '", text, "': expected cpu, N or cuda:N");
  return cuda(std::stoi(num));
}

std::string Device::str() const { return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index); }

int cuda_device_count() {
#ifdef YE_WITH_CUDA
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
#else
  return 0;
#endif
}

bool cuda_available() { return cuda_device_count() > 0; }

bool built_with_cuda() {
#ifdef YE_WITH_CUDA
  return true;
#else
  return false;
#endif
}

}  // namespace ye
