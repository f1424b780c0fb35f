// Crash-safe file writes for every run output: the bytes go to a temp file in the same folder
// (name.tmp.<pid>), are flushed to disk, then renamed over the target, so a reader or a crash
// never sees a half-written file. Also a whole-file reader used by resume and the tests.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace ye::yolo {

// Writes `bytes` to `path` atomically (creates parent folders). Throws ye::Error naming the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Reads a whole file; throws ye::Error naming the path if it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace ye::yolo
