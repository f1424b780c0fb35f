// TFRecord + Event/Summary protobuf encoding by hand (varints, fixed32/64, length-delimited
// fields) and the event-file writer; see tensorboard.h.
#include "yolo/run/tensorboard.h"

#include <array>
#include <chrono>
#include <cstring>
#include <unistd.h>

#include "kernels/error.h"
#include "yolo/config/py_format.h"
#include "yolo/run/atomic_file.h"
#include "yolo/run/results_csv.h"

namespace ye::yolo {
namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

// Protobuf wire encoding.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += char((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += char(v);
}
void put_tag(std::string& out, int field, int wire) { put_varint(out, uint64_t(field) << 3 | uint64_t(wire)); }
void put_fixed64(std::string& out, int field, double v) {
  put_tag(out, field, 1);
  char b[8];
  std::memcpy(b, &v, 8);  // little-endian host
  out.append(b, 8);
}
void put_fixed32(std::string& out, int field, float v) {
  put_tag(out, field, 5);
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}
void put_int(std::string& out, int field, int64_t v) {
  put_tag(out, field, 0);
  put_varint(out, uint64_t(v));
}
void put_bytes(std::string& out, int field, std::string_view v) {
  put_tag(out, field, 2);
  put_varint(out, v.size());
  out.append(v);
}

// Event{1: wall_time double, 2: step int64, 5: summary Summary}; Summary{1: repeated Value}.
std::string event_with_value(double wall_time, int64_t step, const std::string& value) {
  std::string summary, ev;
  put_bytes(summary, 1, value);
  put_fixed64(ev, 1, wall_time);
  put_int(ev, 2, step);
  put_bytes(ev, 5, summary);
  return ev;
}

}  // namespace

uint32_t crc32c(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(const void* data, size_t n) {
  uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string tfrecord_frame(std::string_view data) {
  std::string out;
  uint64_t len = data.size();
  char lb[8];
  std::memcpy(lb, &len, 8);
  uint32_t lc = masked_crc32c(lb, 8), dc = masked_crc32c(data.data(), data.size());
  out.append(lb, 8);
  out.append(reinterpret_cast<const char*>(&lc), 4);
  out.append(data);
  out.append(reinterpret_cast<const char*>(&dc), 4);
  return out;
}

std::string event_file_version(double wall_time) {
  std::string ev;
  put_fixed64(ev, 1, wall_time);
  put_int(ev, 2, 0);
  put_bytes(ev, 3, "brain.Event:2");
  return ev;
}

std::string event_scalar(double wall_time, int64_t step, std::string_view tag, float value) {
  std::string v;  // Summary.Value{1: tag, 2: simple_value float}
  put_bytes(v, 1, tag);
  put_fixed32(v, 2, value);
  return event_with_value(wall_time, step, v);
}

std::string event_image(double wall_time, int64_t step, std::string_view tag, std::string_view encoded,
                        int height, int width, int channels) {
  std::string img, v;  // Summary.Image{1: height, 2: width, 3: colorspace, 4: encoded_image_string}
  put_int(img, 1, height);
  put_int(img, 2, width);
  put_int(img, 3, channels);
  put_bytes(img, 4, encoded);
  put_bytes(v, 1, tag);  // Summary.Value{1: tag, 4: image}
  put_bytes(v, 4, img);
  return event_with_value(wall_time, step, v);
}

double unix_time_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path& dir) {
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  double now = unix_time_now();
  path_ = dir / ("events.out.tfevents." + std::to_string(int64_t(now)) + "." + host + "." +
                 std::to_string(::getpid()) + ".0");
  records_ = tfrecord_frame(event_file_version(now));
  dirty_ = true;
  flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  try {
    flush();
  } catch (...) {
  }
}

void TensorBoardWriter::add_scalar(std::string_view tag, double value, int64_t step) {
  records_ += tfrecord_frame(event_scalar(unix_time_now(), step, tag, float(value)));
  dirty_ = true;
}

void TensorBoardWriter::add_image(std::string_view tag, std::string_view encoded, int height, int width,
                                  int channels, int64_t step) {
  YE_CHECK(channels == 1 || channels == 3 || channels == 4, "TensorBoard image '", tag, "': channels must be 1, 3 or 4");
  records_ += tfrecord_frame(event_image(unix_time_now(), step, tag, encoded, height, width, channels));
  dirty_ = true;
}

void TensorBoardWriter::add_image_file(std::string_view tag, const std::filesystem::path& file, int64_t step) {
  std::string bytes = read_file(file);
  auto u8 = [&](size_t i) { return uint32_t(static_cast<unsigned char>(bytes[i])); };
  int width = 0, height = 0, channels = 3;
  if (bytes.size() > 26 && bytes.compare(1, 3, "PNG") == 0) {  // IHDR: width, height (big-endian), depth, colour type
    width = int(u8(16) << 24 | u8(17) << 16 | u8(18) << 8 | u8(19));
    height = int(u8(20) << 24 | u8(21) << 16 | u8(22) << 8 | u8(23));
    uint32_t colour = u8(25);
    channels = colour == 0 ? 1 : colour == 4 ? 2 : colour == 6 ? 4 : 3;
  } else if (bytes.size() > 4 && u8(0) == 0xFF && u8(1) == 0xD8) {  // JPEG: find a start-of-frame marker
    for (size_t i = 2; i + 9 < bytes.size();) {
      if (u8(i) != 0xFF) break;
      uint32_t marker = u8(i + 1), len = u8(i + 2) << 8 | u8(i + 3);
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        height = int(u8(i + 5) << 8 | u8(i + 6));
        width = int(u8(i + 7) << 8 | u8(i + 8));
        channels = int(u8(i + 9));
        break;
      }
      i += 2 + len;
    }
  }
  YE_CHECK(width > 0 && height > 0, "TensorBoard image ", file.string(), ": not a PNG or JPEG file");
  if (channels == 2) channels = 4;
  add_image(tag, bytes, height, width, channels, step);
}

void TensorBoardWriter::flush() {
  if (!dirty_) return;
  write_file_atomic(path_, records_);
  dirty_ = false;
}

void log_epoch_scalars(TensorBoardWriter& tb, const ResultsRow& r) {
  const auto& cols = results_csv_columns();  // epoch, time, train x3, metrics x4, val x3, lr x3, perf...
  const int64_t step = r.epoch;
  for (size_t k = 0; k < 3; ++k) tb.add_scalar(cols[2 + k], py_round(r.train_loss[k], 5), step);
  for (size_t k = 0; k < 3; ++k) tb.add_scalar(cols[12 + k], r.lr[k], step);
  const double metrics[4] = {r.precision, r.recall, r.map50, r.map50_95};
  for (size_t k = 0; k < 4; ++k) tb.add_scalar(cols[5 + k], metrics[k], step);
  for (size_t k = 0; k < 3; ++k) tb.add_scalar(cols[9 + k], py_round(r.val_loss[k], 5), step);
  tb.add_scalar(cols[15], r.images_per_s, step);
  tb.add_scalar(cols[16], r.gpu_mem_gb, step);
  tb.add_scalar(cols[17], double(r.skipped_steps), step);
  tb.flush();
}

}  // namespace ye::yolo
