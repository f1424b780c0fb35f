// Device identity (cpu or cuda:N), parsing of user device strings ("cpu", "0", "cuda:1"), and queries
// of the CUDA runtime that are safe in a CPU-only build (they report no devices there).
#pragma once
#include <string>

namespace ye {

enum class DeviceKind : uint8_t { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;

  static Device cpu() { return {DeviceKind::cpu, 0}; }
  static Device cuda(int i = 0) { return {DeviceKind::cuda, i}; }
  static Device parse(const std::string& text);  // "cpu", "cuda", "cuda:1", "1"
  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool is_cuda() const { return kind == DeviceKind::cuda; }
  std::string str() const;
  bool operator==(const Device&) const = default;
};

int cuda_device_count();  // 0 without the CUDA backend or without a device
bool cuda_available();
bool built_with_cuda();

}  // namespace ye
