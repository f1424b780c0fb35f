// Image file writers used by the synthetic dataset generator, tests and tools: JPEG through
// libjpeg-turbo and PNG through cairo. Defines write_jpeg, write_png and encode_jpeg.
#pragma once
#include <string>
#include <vector>

#include "data/image.h"

namespace ye::data {

std::vector<uint8_t> encode_jpeg(const Image& img, int quality = 90);
void write_jpeg(const Image& img, const std::string& path, int quality = 90);  // throws ye::Error on failure
void write_png(const Image& img, const std::string& path);

}  // namespace ye::data
