// NVML through dlopen; the few entry points and structs are declared here (no nvml.h needed),
// matching the NVML C ABI (nvmlReturn_t is an int, 0 = success). See gpu_monitor.h.
#include "yolo/run/gpu_monitor.h"

#include <dlfcn.h>

namespace ye::yolo {
namespace {
using NvmlDevice = void*;
struct NvmlUtilization {
  unsigned int gpu;
  unsigned int memory;
};
struct NvmlMemory {
  unsigned long long total, free, used;
};
using InitFn = int (*)();
using ShutdownFn = int (*)();
using HandleFn = int (*)(unsigned int, NvmlDevice*);
using UtilFn = int (*)(NvmlDevice, NvmlUtilization*);
using MemFn = int (*)(NvmlDevice, NvmlMemory*);
}  // namespace

GpuMonitor::GpuMonitor() {
  void* lib = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return;
  auto init = reinterpret_cast<InitFn>(::dlsym(lib, "nvmlInit_v2"));
  get_handle_ = ::dlsym(lib, "nvmlDeviceGetHandleByIndex_v2");
  get_util_ = ::dlsym(lib, "nvmlDeviceGetUtilizationRates");
  get_mem_ = ::dlsym(lib, "nvmlDeviceGetMemoryInfo");
  shutdown_ = ::dlsym(lib, "nvmlShutdown");
  if (!init || !get_handle_ || !get_util_ || !get_mem_ || !shutdown_ || init() != 0) {
    ::dlclose(lib);
    return;
  }
  lib_ = lib;
}

GpuMonitor::~GpuMonitor() {
  if (!lib_) return;
  reinterpret_cast<ShutdownFn>(shutdown_)();
  ::dlclose(lib_);
}

std::optional<unsigned> GpuMonitor::utilization_percent(unsigned device) const {
  if (!lib_) return std::nullopt;
  NvmlDevice h = nullptr;
  if (reinterpret_cast<HandleFn>(get_handle_)(device, &h) != 0) return std::nullopt;
  NvmlUtilization u{};
  if (reinterpret_cast<UtilFn>(get_util_)(h, &u) != 0) return std::nullopt;
  return u.gpu;
}

std::optional<uint64_t> GpuMonitor::memory_used_bytes(unsigned device) const {
  if (!lib_) return std::nullopt;
  NvmlDevice h = nullptr;
  if (reinterpret_cast<HandleFn>(get_handle_)(device, &h) != 0) return std::nullopt;
  NvmlMemory m{};
  if (reinterpret_cast<MemFn>(get_mem_)(h, &m) != 0) return std::nullopt;
  return m.used;
}

std::string GpuMonitor::utilization_text(unsigned device) const {
  auto u = utilization_percent(device);
  return u ? std::to_string(*u) + "%" : "n/a";
}

}  // namespace ye::yolo
