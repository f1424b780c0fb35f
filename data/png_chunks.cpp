// Dropping empty IDAT chunks from a PNG (see png_chunks.h). Chunk layout: 4-byte big-endian length,
// 4-byte type, the data, a 4-byte CRC (stb does not check CRCs, and the other chunks keep theirs).
#include "data/png_chunks.h"

#include <cstring>

namespace ye::data {
namespace {
constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
}  // namespace

std::vector<uint8_t> png_without_empty_idat(const uint8_t* d, size_t n) {
  if (n < 8 || std::memcmp(d, kSignature, 8) != 0) return {};
  std::vector<uint8_t> out;
  size_t kept_until = 0;  // bytes of d before this offset are already in out (once out is in use)
  size_t pos = 8;
  while (n - pos >= 12) {
    uint32_t len = be32(d + pos);
    if (len > n - pos - 12) break;
    bool empty_idat = len == 0 && std::memcmp(d + pos + 4, "IDAT", 4) == 0;
    if (empty_idat) {
      out.insert(out.end(), d + kept_until, d + pos);
      kept_until = pos + 12;
    }
    pos += 12 + size_t(len);
  }
  if (kept_until == 0) return {};
  out.insert(out.end(), d + kept_until, d + n);
  return out;
}

}  // namespace ye::data
