// Formatting of the GPU out-of-memory message (see oom_message.h).
#include "engine/oom_message.h"

#include <sstream>

namespace ye {

std::string human_bytes(size_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) v /= 1024.0, ++u;
  std::ostringstream os;
  os.precision(3);
  os << v << ' ' << kUnits[u];
  return os.str();
}

std::string cuda_oom_message(const OomFacts& f) {
  std::ostringstream os;
  os << "CUDA out of memory on cuda:" << f.device << ": tried to allocate " << human_bytes(f.requested) << "; "
     << human_bytes(f.in_use) << " in use by tensors, " << human_bytes(f.reserved)
     << " reserved by the caching allocator (cache already released), " << human_bytes(f.device_free) << " free of "
     << human_bytes(f.device_total) << " on the device. To fit: lower --batch (per-GPU batch), or keep the "
     << "total batch and raise --accumulate, or lower --imgsz; close other processes using this GPU";
  return os.str();
}

}  // namespace ye
