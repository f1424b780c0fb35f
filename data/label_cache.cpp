// Binary label cache (see label_cache.h): little-endian fields after an 8-byte magic with the format
// version; strings are length-prefixed. Hash: FNV-1a 64 over paths, file sizes and nc.
#include "data/label_cache.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace fs = std::filesystem;

namespace ye::data {
namespace {

constexpr char kMagic[8] = {'Y', 'E', 'L', 'B', 'L', 'C', '0', '1'};

struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void add(const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  void add(const std::string& s) { add(s.data(), s.size() + 1); }
  void add(int64_t v) { add(&v, sizeof v); }
};

struct Writer {
  std::string buf;
  template <typename T> void put(T v) { buf.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) { put<uint32_t>(uint32_t(s.size())); buf += s; }
};

struct Reader {
  const std::string& buf;
  size_t pos = 0;
  bool ok = true;
  template <typename T> T get() {
    T v{};
    if (pos + sizeof v > buf.size()) { ok = false; return v; }
    std::memcpy(&v, buf.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string str() {
    uint32_t n = get<uint32_t>();
    if (!ok || pos + n > buf.size()) { ok = false; return {}; }
    std::string s = buf.substr(pos, n);
    pos += n;
    return s;
  }
};

}  // namespace

uint64_t label_cache_hash(const std::vector<std::string>& images, const std::vector<std::string>& labels, int nc) {
  Fnv f;
  f.add(int64_t(nc));
  for (const auto* list : {&images, &labels})
    for (const auto& p : *list) {
      std::error_code ec;
      auto sz = fs::file_size(p, ec);
      f.add(p);
      f.add(ec ? int64_t(-1) : int64_t(sz));
    }
  return f.h;
}

std::optional<LabelCacheContent> read_label_cache(const std::string& path, uint64_t hash) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (buf.size() < 16 || std::memcmp(buf.data(), kMagic, 8) != 0) return std::nullopt;
  Reader r{buf, 8};
  LabelCacheContent c;
  c.hash = r.get<uint64_t>();
  if (c.hash != hash) return std::nullopt;
  uint64_t n = r.get<uint64_t>();
  if (!r.ok || n > buf.size()) return std::nullopt;
  c.records.resize(n);
  for (auto& rec : c.records) {
    rec.image_path = r.str();
    rec.h0 = r.get<int32_t>();
    rec.w0 = r.get<int32_t>();
    uint32_t nb = r.get<uint32_t>();
    if (!r.ok || nb > buf.size()) return std::nullopt;
    rec.boxes.resize(nb);
    for (auto& b : rec.boxes) {
      b.cls = r.get<int32_t>();
      b.xc = r.get<float>(), b.yc = r.get<float>(), b.w = r.get<float>(), b.h = r.get<float>();
    }
  }
  auto& s = c.summary;
  s.images = r.get<int64_t>(), s.backgrounds = r.get<int64_t>(), s.missing_labels = r.get<int64_t>();
  s.corrupt = r.get<int64_t>(), s.lines_dropped = r.get<int64_t>(), s.boxes = r.get<int64_t>();
  uint64_t nm = r.get<uint64_t>();
  if (!r.ok || nm > buf.size()) return std::nullopt;
  for (uint64_t i = 0; i < nm; ++i) c.messages.push_back(r.str());
  if (!r.ok) return std::nullopt;
  return c;
}

bool write_label_cache(const std::string& path, const LabelCacheContent& c) {
  // A folder without write permission bits is read-only data (even for root, who could write anyway).
  std::error_code pec;
  auto perms = fs::status(fs::path(path).parent_path(), pec).permissions();
  if (pec || (perms & fs::perms::owner_write) == fs::perms::none) return false;
  Writer w;
  w.buf.append(kMagic, 8);
  w.put<uint64_t>(c.hash);
  w.put<uint64_t>(c.records.size());
  for (const auto& rec : c.records) {
    w.str(rec.image_path);
    w.put<int32_t>(rec.h0);
    w.put<int32_t>(rec.w0);
    w.put<uint32_t>(uint32_t(rec.boxes.size()));
    for (const auto& b : rec.boxes) {
      w.put<int32_t>(b.cls);
      w.put(b.xc), w.put(b.yc), w.put(b.w), w.put(b.h);
    }
  }
  const auto& s = c.summary;
  for (int64_t v : {s.images, s.backgrounds, s.missing_labels, s.corrupt, s.lines_dropped, s.boxes}) w.put<int64_t>(v);
  w.put<uint64_t>(c.messages.size());
  for (const auto& m : c.messages) w.str(m);
  std::string tmp = path + ".tmp" + std::to_string(reinterpret_cast<uintptr_t>(&c) & 0xffff);
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) return false;
    out.write(w.buf.data(), std::streamsize(w.buf.size()));
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) std::remove(tmp.c_str());
  return !ec;
}

}  // namespace ye::data
