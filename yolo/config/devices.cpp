// Device lists and process counts of `yolo train` (see devices.h): splitting "0,1" / "[0, 1]",
// removing --world and --master-port from the arguments, and the checks on GPU lists.
#include "yolo/config/devices.h"

#include <charconv>
#include <initializer_list>

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

namespace {
// Removes every `--<name> N`, `--<name>=N` or `<name>=N` (name in `spellings`) and returns the last N
// (0 when absent); N must be an integer in [lo, hi].
int take_int_flag(std::vector<std::string>& argv, std::initializer_list<const char*> spellings, const char* what,
                  int lo, int hi) {
  int out = 0;
  for (size_t i = 0; i < argv.size();) {
    std::string value, flag;
    size_t n = 0;
    const std::string& a = argv[i];
    for (const char* name : spellings) {
      const std::string dashed = std::string("--") + name, keyed = std::string(name) + "=";
      if (a == dashed) {
        YE_CHECK(i + 1 < argv.size(), dashed, " needs ", what);
        value = argv[i + 1], n = 2, flag = dashed;
      } else if (a.rfind(dashed + "=", 0) == 0) {
        value = a.substr(dashed.size() + 1), n = 1, flag = dashed;
      } else if (a.rfind(keyed, 0) == 0) {
        value = a.substr(keyed.size()), n = 1, flag = dashed;
      }
      if (n) break;
    }
    if (!n) {
      ++i;
      continue;
    }
    int v = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    YE_CHECK(r.ec == std::errc() && r.ptr == value.data() + value.size() && v >= lo && v <= hi, flag, " expects ",
             what, ", got '", value, "'");
    out = v;
    argv.erase(argv.begin() + long(i), argv.begin() + long(i + n));
  }
  return out;
}
}  // namespace

int take_world_flag(std::vector<std::string>& argv) {
  return take_int_flag(argv, {"world"}, "a positive number of processes", 1, 1 << 20);
}

int take_master_port_flag(std::vector<std::string>& argv) {
  return take_int_flag(argv, {"master-port", "master_port"}, "a TCP port (1-65535)", 1, 65535);
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
