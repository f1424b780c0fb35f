// libFuzzer target: YOLO label text (data/labels.h). The first byte picks the class count; the rest
// is the file. Every result must keep boxes inside [0, 1] with classes in [0, nc).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "data/labels.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int nc = 1 + data[0] % 100;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  ye::data::LabelParse p = ye::data::parse_label_text(text, nc);
  for (const auto& b : p.boxes) {
    const bool ok = b.cls >= 0 && b.cls < nc && b.w > 0 && b.h > 0 && b.xc - b.w / 2 >= -1e-5f &&
                    b.xc + b.w / 2 <= 1 + 1e-5f && b.yc - b.h / 2 >= -1e-5f && b.yc + b.h / 2 <= 1 + 1e-5f;
    if (!ok) std::abort();
  }
  return 0;
}
