// Shared helper of the libFuzzer targets: readers that take a path get the input through a scratch
// file private to the process (one per target and pid, rewritten for every input).
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace ye::fuzz {

inline std::string input_file(const char* target, const char* extension, const uint8_t* data, size_t size) {
  const std::filesystem::path p = std::filesystem::temp_directory_path() /
                                  (std::string("ye_fuzz_") + target + "_" + std::to_string(::getpid()) + extension);
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
  return p.string();
}

}  // namespace ye::fuzz
