// GPU utilisation and memory read through NVML, loaded at run time with dlopen
// ("libnvidia-ml.so.1"), so the engine builds and runs where no NVIDIA driver is installed: every
// query then returns nullopt and the console prints "n/a".
//   GpuMonitor gpu;  auto u = gpu.utilization_percent(0);  gpu.utilization_text(0) -> "87%" | "n/a"
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace ye::yolo {

class GpuMonitor {
 public:
  GpuMonitor();  // loads and initialises NVML if present; never throws
  ~GpuMonitor();
  GpuMonitor(const GpuMonitor&) = delete;
  GpuMonitor& operator=(const GpuMonitor&) = delete;

  bool available() const { return lib_ != nullptr; }
  std::optional<unsigned> utilization_percent(unsigned device) const;  // kernel-busy % of the last sample period
  std::optional<uint64_t> memory_used_bytes(unsigned device) const;
  std::string utilization_text(unsigned device) const;  // "87%" or "n/a"

 private:
  void* lib_ = nullptr;
  void* get_handle_ = nullptr;
  void* get_util_ = nullptr;
  void* get_mem_ = nullptr;
  void* shutdown_ = nullptr;
};

}  // namespace ye::yolo
