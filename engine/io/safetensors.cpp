// safetensors reader / writer (format: u64 little-endian header size, JSON header
// {name: {dtype, shape, data_offsets}, "__metadata__": {..}}, then the data). The reader checks every
// field and that the tensors tile the data exactly; the writer goes through a temp file, fsync and
// a rename, so a kill or a full disk leaves the previous file whole.
#include "engine/io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "kernels/error.h"

namespace ye::io {
namespace {

using json = nlohmann::ordered_json;

constexpr uint64_t kMaxHeader = uint64_t(100) << 20;  // the reference library's limit (100 MB)
constexpr size_t kMaxNesting = 16;                     // a valid header nests 3 deep

const char* dtype_tag(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::i32: return "I32";
    case DType::u8: return "U8";
  }
  return "?";
}

// Element size of a tag as stored in the file (I64 is 8), 0 when unknown.
size_t tag_size(const std::string& tag) {
  if (tag == "F32" || tag == "I32") return 4;
  if (tag == "F16" || tag == "BF16") return 2;
  if (tag == "U8") return 1;
  if (tag == "I64") return 8;
  return 0;
}

DType tag_dtype(const std::string& tag) {
  if (tag == "F32") return DType::f32;
  if (tag == "F16") return DType::f16;
  if (tag == "BF16") return DType::bf16;
  if (tag == "U8") return DType::u8;
  return DType::i32;  // I32, and I64 narrowed
}

int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& where) {
  int64_t n = 1;
  for (int64_t d : shape) {
    YE_CHECK(d >= 0, where, ": negative dimension ", d, " in shape");
    YE_CHECK(d == 0 || n <= std::numeric_limits<int64_t>::max() / 16 / d, where, ": shape is too large");
    n *= d;
  }
  return n;
}

std::vector<uint8_t> narrow_i64(const uint8_t* p, int64_t n, const std::string& where) {
  std::vector<uint8_t> out(size_t(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    int64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    YE_CHECK(v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max(), where,
             ": I64 value ", v, " does not fit in i32");
    int32_t w = int32_t(v);
    std::memcpy(out.data() + 4 * i, &w, 4);
  }
  return out;
}

}  // namespace

int64_t SafeTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const SafeTensor* SafeTensorsFile::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

const SafeTensor& SafeTensorsFile::at(const std::string& name) const {
  const SafeTensor* t = find(name);
  YE_CHECK(t != nullptr, "safetensors: no tensor named '", name, "'");
  return *t;
}

namespace {
// The header size of the 8 bytes at `data` (checked against `available` bytes after them).
uint64_t header_size(const uint8_t* data, size_t size, uint64_t available, const std::string& file) {
  YE_CHECK(size >= 8, file, ": truncated (", size, " bytes, the 8-byte header size is missing)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  YE_CHECK(n <= kMaxHeader, file, ": header size ", n, " is implausible (corrupt file?)");
  YE_CHECK(n <= available, file, ": truncated (header of ", n, " bytes but only ", available, " bytes follow)");
  return n;
}

// Deepest [ / { nesting outside strings: checked before parsing, so no input drives the JSON
// parser or the destructor of its result into deep recursion.
size_t nesting_depth(const uint8_t* text, uint64_t n) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

json parse_header(const uint8_t* text, uint64_t n, const std::string& file) {
  YE_CHECK(nesting_depth(text, n) <= kMaxNesting, file, ": header is nested deeper than ", kMaxNesting,
           " levels (corrupt file?)");
  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(text), reinterpret_cast<const char*>(text + n));
  } catch (const json::exception& e) {
    YE_FAIL(file, ": header is not valid JSON: ", e.what());
  }
  YE_CHECK(header.is_object(), file, ": header must be a JSON object");
  return header;
}

void read_metadata(const json& v, const std::string& file, std::map<std::string, std::string>& out) {
  YE_CHECK(v.is_object(), file, ": __metadata__ must be an object of strings");
  for (auto m = v.begin(); m != v.end(); ++m) {
    YE_CHECK(m.value().is_string(), file, ": __metadata__ value of '", m.key(), "' must be a string");
    out[m.key()] = m.value().get<std::string>();
  }
}

std::string file_label(const std::string& source) { return "safetensors file '" + source + "'"; }
}  // namespace

SafeTensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& source) {
  const std::string file = file_label(source);
  const uint64_t n = header_size(data, size, size >= 8 ? size - 8 : 0, file);
  const json header = parse_header(data + 8, n, file);
  const uint8_t* body = data + 8 + n;
  const uint64_t body_size = size - 8 - n;
  SafeTensorsFile out;
  struct Span { uint64_t begin, end; std::string name; };
  std::vector<Span> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      read_metadata(v, file, out.metadata);
      continue;
    }
    const std::string where = file + ", tensor '" + name + "'";
    YE_CHECK(v.is_object(), where, ": entry must be an object {dtype, shape, data_offsets}");
    YE_CHECK(v.contains("dtype") && v["dtype"].is_string(), where, ": missing or non-string dtype");
    const std::string tag = v["dtype"].get<std::string>();
    size_t esize = tag_size(tag);
    YE_CHECK(esize != 0, where, ": unsupported dtype '", tag, "' (supported: F32, F16, BF16, I32, I64, U8)");
    YE_CHECK(v.contains("shape") && v["shape"].is_array(), where, ": missing shape array");
    SafeTensor t;
    t.name = name;
    t.dtype = tag_dtype(tag);
    for (const auto& d : v["shape"]) {
      YE_CHECK(d.is_number_integer(), where, ": shape entries must be integers");
      t.shape.push_back(d.get<int64_t>());
    }
    int64_t numel = checked_numel(t.shape, where);
    const json& off = v.contains("data_offsets") ? v["data_offsets"] : json();
    YE_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(), where,
             ": data_offsets must be [begin, end] (non-negative integers)");
    uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    YE_CHECK(b <= e, where, ": data_offsets [", b, ", ", e, "] are reversed");
    YE_CHECK(e <= body_size, where, ": data_offsets end ", e, " is past the data (", body_size,
             " bytes; truncated file?)");
    YE_CHECK(e - b == uint64_t(numel) * esize, where, ": data_offsets span ", e - b, " bytes but shape needs ",
             uint64_t(numel) * esize, " bytes of ", tag);
    t.bytes = tag == "I64" ? narrow_i64(body + b, numel, where) : std::vector<uint8_t>(body + b, body + e);
    spans.push_back({b, e, name});
    out.tensors.push_back(std::move(t));
  }
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a].begin < spans[b].begin; });
  uint64_t pos = 0;
  for (size_t i : order) {
    YE_CHECK(spans[i].begin == pos, file, ", tensor '", spans[i].name, "': data starts at ", spans[i].begin,
             " but the previous tensor ends at ", pos, " (overlapping or missing data)");
    pos = spans[i].end;
  }
  YE_CHECK(pos == body_size, file, ": ", body_size - pos, " bytes of data after the last tensor");
  std::vector<SafeTensor> sorted;
  for (size_t i : order) sorted.push_back(std::move(out.tensors[i]));
  out.tensors = std::move(sorted);
  return out;
}

std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
  const std::string file = file_label(path);
  std::ifstream f(path, std::ios::binary);
  YE_CHECK(f.good(), file, " cannot be opened");
  f.seekg(0, std::ios::end);
  const std::streamoff len = f.tellg();
  YE_CHECK(len >= 0, file, " cannot be read");
  f.seekg(0);
  uint8_t size_bytes[8] = {};
  f.read(reinterpret_cast<char*>(size_bytes), std::min<std::streamoff>(len, 8));
  const uint64_t n = header_size(size_bytes, size_t(len), len >= 8 ? uint64_t(len - 8) : 0, file);
  std::vector<uint8_t> text(static_cast<size_t>(n));
  f.read(reinterpret_cast<char*>(text.data()), std::streamsize(n));
  YE_CHECK(f.good() || n == 0, file, ": read failed");
  const json header = parse_header(text.data(), n, file);
  std::map<std::string, std::string> out;
  if (header.contains("__metadata__")) read_metadata(header["__metadata__"], file, out);
  return out;
}

SafeTensorsFile read_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  YE_CHECK(f.good(), "safetensors file '", path, "' cannot be opened");
  f.seekg(0, std::ios::end);
  std::streamoff len = f.tellg();
  YE_CHECK(len >= 0, "safetensors file '", path, "' cannot be read");
  f.seekg(0);
  std::vector<uint8_t> buf(static_cast<size_t>(len));
  f.read(reinterpret_cast<char*>(buf.data()), len);
  YE_CHECK(f.good() || len == 0, "safetensors file '", path, "': read failed");
  return parse_safetensors(buf.data(), buf.size(), path);
}

std::vector<uint8_t> serialize_safetensors(const std::vector<SafeTensor>& tensors,
                                           const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) {
    json m = json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = m;
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::string where = "safetensors: tensor '" + t.name + "'";
    YE_CHECK(!t.name.empty() && t.name != "__metadata__", where, ": invalid name");
    YE_CHECK(names.insert(t.name).second, where, ": name appears twice");
    int64_t numel = checked_numel(t.shape, where);
    YE_CHECK(t.bytes.size() == uint64_t(numel) * dtype_size(t.dtype), where, ": has ", t.bytes.size(),
             " bytes but shape needs ", uint64_t(numel) * dtype_size(t.dtype), " of ", dtype_tag(t.dtype));
    header[t.name] = {{"dtype", dtype_tag(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::vector<uint8_t> out(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  std::memcpy(out.data() + 8, h.data(), h.size());
  uint8_t* p = out.data() + 8 + h.size();
  for (const auto& t : tensors) {
    if (!t.bytes.empty()) std::memcpy(p, t.bytes.data(), t.bytes.size());
    p += t.bytes.size();
  }
  return out;
}

namespace {
// Writes all of `bytes` to a new file `tmp` and flushes it to the disk; false (errno set) on failure.
bool write_and_sync(const std::string& tmp, const std::vector<uint8_t>& bytes) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : ENOSPC;
      ::close(fd);
      errno = saved;
      return false;
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return false;
  }
  return ::close(fd) == 0;
}
}  // namespace

void write_safetensors(const std::string& path, const std::vector<SafeTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<uint8_t> bytes = serialize_safetensors(tensors, metadata);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  if (!write_and_sync(tmp, bytes)) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    YE_FAIL("safetensors file '", path, "': cannot write ", bytes.size(), " bytes to '", tmp, "': ", why,
            " (the previous file, if any, is unchanged)");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    YE_FAIL("safetensors file '", path, "': cannot rename the temporary file into place: ", why);
  }
}

}  // namespace ye::io
