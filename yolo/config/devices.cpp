// Device lists and process counts of `yolo train` (see devices.h): splitting "0,1" / "[0, 1]",
// removing --world from the arguments, and the checks on GPU lists.
#include "yolo/config/devices.h"

#include <charconv>

#include "kernels/error.h"

namespace ye::yolo {

std::vector<std::string> split_device_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" []'\""));
    item.erase(item.find_last_not_of(" []'\"") + 1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int take_world_flag(std::vector<std::string>& argv) {
  int world = 0;
  for (size_t i = 0; i < argv.size();) {
    std::string value;
    size_t n = 0;
    const std::string& a = argv[i];
    if (a == "--world") {
      YE_CHECK(i + 1 < argv.size(), "--world needs a number of CPU processes");
      value = argv[i + 1], n = 2;
    } else if (a.rfind("--world=", 0) == 0) {
      value = a.substr(8), n = 1;
    } else if (a.rfind("world=", 0) == 0) {
      value = a.substr(6), n = 1;
    } else {
      ++i;
      continue;
    }
    int v = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    YE_CHECK(r.ec == std::errc() && r.ptr == value.data() + value.size() && v >= 1, "--world expects a positive "
             "number of processes, got '", value, "'");
    world = v;
    argv.erase(argv.begin() + long(i), argv.begin() + long(i + n));
  }
  return world;
}

LaunchSpec launch_spec(const std::string& device, int world_flag) {
  LaunchSpec s;
  std::vector<std::string> list = split_device_list(device);
  bool cpu = list.size() == 1 && (list[0] == "cpu" || list[0] == "CPU");
  if (cpu || list.empty()) {
    if (world_flag > 1) YE_CHECK(cpu, "--world ", world_flag, " runs CPU processes: add --device cpu (for GPUs list "
                                      "them: --device 0,1)");
    s.cpu = cpu;
    s.world = world_flag > 0 ? world_flag : 1;
    return s;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    YE_CHECK(list[i] != "cpu" && list[i] != "CPU", "--device ", device, ": cpu cannot be mixed with GPUs");
    for (size_t j = 0; j < i; ++j)
      YE_CHECK(list[i] != list[j], "--device ", device, ": ", list[i], " is listed twice (one process per GPU)");
  }
  YE_CHECK(world_flag == 0 || world_flag == int(list.size()), "--world ", world_flag, " does not match --device ",
           device, " (", list.size(), " device(s)); --world is for CPU processes, GPU runs use one per device");
  s.world = int(list.size());
  s.devices = list;
  return s;
}

}  // namespace ye::yolo
