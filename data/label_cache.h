// The label cache file (<labels dir>.yecache): the scanned records, counts and messages of a split,
// keyed by a hash of the image and label paths, their sizes and nc (the reference's idea: a change
// rebuilds it). Defines LabelCacheContent, label_cache_hash, read_label_cache, write_label_cache.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace ye::data {

struct LabelCacheContent {
  uint64_t hash = 0;
  std::vector<ImageRecord> records;
  SplitSummary summary;
  std::vector<std::string> messages;
};

uint64_t label_cache_hash(const std::vector<std::string>& images, const std::vector<std::string>& labels, int nc);
// nullopt when the file is absent, unreadable, of another version or of another hash.
std::optional<LabelCacheContent> read_label_cache(const std::string& path, uint64_t hash);
// Writes to a temporary file and renames it; false (no throw) when the folder is not writable or
// has no owner-write permission bit (read-only data, even when running as root).
bool write_label_cache(const std::string& path, const LabelCacheContent& content);

}  // namespace ye::data
