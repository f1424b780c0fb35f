// libFuzzer target: the image decoders (data/image.h): probe, then decode (libjpeg-turbo for JPEG,
// stb_image for the rest, EXIF orientation). A decoded image has the probed size and 3 bytes a pixel.
#include <cstdint>
#include <exception>

#include "data/image.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    ye::data::ImageInfo info = ye::data::probe_image(data, size, "fuzz");
    ye::data::Image img = ye::data::decode_image(data, size, "fuzz");
    if (img.px.size() != size_t(img.h) * size_t(img.w) * 3) __builtin_trap();
    if (info.format == ye::data::ImageFormat::jpeg && (img.h != info.h || img.w != info.w)) __builtin_trap();
  } catch (const ye::Error&) {
  }
  return 0;
}
