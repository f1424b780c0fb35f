// TensorBoard event-file writer with no TensorFlow or protobuf dependency: TFRecord framing
// (length, masked CRC32C of the length, data, masked CRC32C of the data) around hand-encoded
// Event protos (wall_time, step, file_version, Summary with simple_value scalars and encoded
// PNG/JPEG images). The file is rewritten atomically on every flush().
//   TensorBoardWriter tb(run.root);  tb.add_scalar("metrics/mAP50(B)", 0.41, epoch);  tb.flush();
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ye::yolo {

// CRC32C (Castagnoli) and TensorFlow's mask ((crc >> 15 | crc << 17) + 0xa282ead8).
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);
uint32_t masked_crc32c(const void* data, size_t n);

// One TFRecord: u64 length (LE), masked crc of those 8 bytes, data, masked crc of data.
std::string tfrecord_frame(std::string_view data);

// Event protos (tensorflow/core/util/event.proto), serialized.
std::string event_file_version(double wall_time);  // {wall_time, step 0, file_version "brain.Event:2"}
std::string event_scalar(double wall_time, int64_t step, std::string_view tag, float value);
std::string event_image(double wall_time, int64_t step, std::string_view tag, std::string_view encoded,
                        int height, int width, int channels);

class TensorBoardWriter {
 public:
  // Creates <dir>/events.out.tfevents.<unix time>.<host>.<pid>.0 with its file_version event.
  explicit TensorBoardWriter(const std::filesystem::path& dir);
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;
  ~TensorBoardWriter();  // flushes; never throws

  void add_scalar(std::string_view tag, double value, int64_t step);
  // encoded: a PNG or JPEG file's bytes; channels 3 (RGB) or 4 (RGBA).
  void add_image(std::string_view tag, std::string_view encoded, int height, int width, int channels, int64_t step);
  // Logs a PNG or JPEG file (e.g. results.png), reading its size from the file header.
  void add_image_file(std::string_view tag, const std::filesystem::path& file, int64_t step);
  void flush();  // atomic rewrite of the whole file with every event so far
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string records_;
  bool dirty_ = false;
};

double unix_time_now();

struct ResultsRow;
// Logs an epoch like the reference's TensorBoard callback: train/*_loss and lr/pg0..2 (train
// epoch end), then metrics/* and val/*_loss (fit epoch end), all at step = row.epoch (1-based),
// with the same tag names as the results.csv columns; the engine's perf/* columns too.
void log_epoch_scalars(TensorBoardWriter& tb, const ResultsRow& row);  // seconds since the epoch, as TensorBoard's wall_time

}  // namespace ye::yolo
