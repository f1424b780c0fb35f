// PNG chunk walking before stb_image sees a file: stb copies an empty first IDAT chunk through a
// null buffer (memcpy(NULL, p, 0), undefined behaviour found by fuzz/image_decode_fuzz under UBSan),
// so empty IDAT chunks (which carry no data) are dropped from a copy first.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ye::data {

// The PNG without its zero-length IDAT chunks; empty when the input has none (or is not a PNG), so the
// caller decodes the original bytes. A truncated chunk ends the walk: stb reports it.
std::vector<uint8_t> png_without_empty_idat(const uint8_t* d, size_t n);

}  // namespace ye::data
