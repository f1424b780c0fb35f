// Tests of the TensorBoard writer: CRC32C and TFRecord framing checked in C++ (always), and the
// files read back by TensorBoard's own EventAccumulator (a "reference:" case, run by ctest's
// parity_tensorboard entry with the parity venv, skipped where it is absent).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "kernels/error.h"
#include "yolo/run/atomic_file.h"
#include "yolo/run/plots.h"
#include "yolo/run/results_csv.h"
#include "yolo/run/tensorboard.h"

#include "common/harness.h"
#include "run/run_test_util.h"

using namespace ye::yolo;
namespace fs = std::filesystem;

namespace {
using ye::test::fresh_dir;

// Splits a TFRecord stream, checking both masked CRCs of every record.
std::vector<std::string> read_records(const std::string& bytes) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < bytes.size()) {
    REQUIRE(p + 12 <= bytes.size());
    uint64_t len;
    uint32_t lcrc, dcrc;
    std::memcpy(&len, bytes.data() + p, 8);
    std::memcpy(&lcrc, bytes.data() + p + 8, 4);
    CHECK(lcrc == masked_crc32c(bytes.data() + p, 8));
    REQUIRE(p + 12 + len + 4 <= bytes.size());
    std::string data = bytes.substr(p + 12, len);
    std::memcpy(&dcrc, bytes.data() + p + 12 + len, 4);
    CHECK(dcrc == masked_crc32c(data.data(), data.size()));
    out.push_back(data);
    p += 12 + len + 4;
  }
  return out;
}

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  REQUIRE_MESSAGE(rc == 0, cmd << " failed: " << out);
  return out;
}

// A minimal valid 1x1 RGB PNG.
const unsigned char kPng1x1[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
                                 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00,
                                 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08,
                                 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d,
                                 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
}  // namespace

TEST_CASE("CRC32C and the TFRecord frame") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);  // the standard check value
  CHECK(crc32c("", 0) == 0u);
  std::string frame = tfrecord_frame("hello");
  REQUIRE(frame.size() == 8 + 4 + 5 + 4);
  auto recs = read_records(frame);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0] == "hello");
  std::string corrupt = frame;
  corrupt[13] ^= 1;
  uint32_t dcrc;
  std::memcpy(&dcrc, corrupt.data() + 17, 4);
  CHECK(dcrc != masked_crc32c(corrupt.data() + 12, 5));
}

TEST_CASE("event protos are encoded field by field") {
  std::string v = event_file_version(1.5);
  // wall_time: tag 0x09 + 8 bytes double; step: 0x10 0x00; file_version: 0x1a len "brain.Event:2"
  REQUIRE(v.size() == 9 + 2 + 2 + 13);
  CHECK((unsigned char)v[0] == 0x09);
  double wt;
  std::memcpy(&wt, v.data() + 1, 8);
  CHECK(wt == 1.5);
  CHECK(v.substr(13) == "brain.Event:2");
  std::string s = event_scalar(2.0, 300, "a", 0.5f);
  CHECK((unsigned char)s[9] == 0x10);
  CHECK((unsigned char)s[10] == ((300 & 0x7f) | 0x80));  // varint 300 = ac 02
  CHECK((unsigned char)s[11] == 0x02);
  CHECK((unsigned char)s[12] == 0x2a);  // field 5, length-delimited
}

TEST_CASE("TensorBoardWriter files frame correctly and are rewritten atomically") {
  fs::path dir = fresh_dir("tb_frame");
  fs::path file;
  {
    TensorBoardWriter tb(dir);
    file = tb.path();
    CHECK(file.filename().string().rfind("events.out.tfevents.", 0) == 0);
    tb.add_scalar("train/box_loss", 1.25, 1);
    tb.add_scalar("train/box_loss", 1.0, 2);
    tb.flush();
    CHECK(read_records(read_file(file)).size() == 3);
    tb.add_scalar("lr/pg0", 0.01, 2);
  }
  auto recs = read_records(read_file(file));
  CHECK(recs.size() == 4);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    CHECK(e.path().string().find(".tmp.") == std::string::npos);
  }
  CHECK(files == 1);
  fs::remove_all(dir);
}

TEST_CASE("reference: TensorBoard's EventAccumulator reads our files" * doctest::skip()) {
  std::string py = ye::test::reference_python();
  fs::path dir = fresh_dir("tb_reader");
  {
    TensorBoardWriter tb(dir);
    for (int e = 1; e <= 3; ++e) {
      tb.add_scalar("metrics/mAP50(B)", 0.1 * e, e);
      tb.add_scalar("train/box_loss", 2.0 / e, e);
    }
    ResultsRow row;
    row.epoch = 4, row.train_loss = {1.234567891, 2, 3}, row.map50_95 = 0.375, row.lr = {0.07, 0.001, 0.002};
    log_epoch_scalars(tb, row);
    tb.add_image("results", std::string(reinterpret_cast<const char*>(kPng1x1), sizeof kPng1x1), 1, 1, 3, 3);
    std::vector<uint8_t> img(size_t(5) * 96 * 128 * 3, 90);
    plot_batch(img.data(), 5, 96, 128, {}, {}, dir / "mosaic.jpg");  // 384 x 288 JPEG
    write_file_atomic(dir / "one.png", std::string(reinterpret_cast<const char*>(kPng1x1), sizeof kPng1x1));
    tb.add_image_file("mosaic", dir / "mosaic.jpg", 7);
    tb.add_image_file("png_file", dir / "one.png", 7);
    CHECK_THROWS_AS(tb.add_image_file("bad", YE_SOURCE_DIR "/configs/default.toml", 7), ye::Error);
  }
  std::string script = YE_SOURCE_DIR "/tests/run/read_tensorboard.py";
  auto j = nlohmann::json::parse(run_command("'" + py + "' '" + script + "' '" + dir.string() + "' 2>/dev/null"));
  CHECK(j["file_version"].get<double>() == 2.0);  // parsed from "brain.Event:2"
  auto map = j["scalars"]["metrics/mAP50(B)"];
  REQUIRE(map.size() == 4);  // epochs 1-3 above, epoch 4 from log_epoch_scalars
  for (int e = 1; e <= 3; ++e) {
    CHECK(map[e - 1][0] == e);
    CHECK(map[e - 1][1].get<double>() == doctest::Approx(float(0.1 * e)).epsilon(1e-7));
    CHECK(map[e - 1][2].get<double>() > 1.7e9);  // wall time in seconds since 1970
  }
  CHECK(j["scalars"]["train/box_loss"][1][1].get<double>() == 1.0);
  for (const auto& col : results_csv_columns()) {
    if (col == "epoch" || col == "time") continue;
    CAPTURE(col);
    REQUIRE(j["scalars"].contains(col));
  }
  CHECK(j["scalars"]["train/box_loss"][3][0] == 4);
  CHECK(j["scalars"]["train/box_loss"][3][1].get<double>() == doctest::Approx(1.23457).epsilon(1e-6));
  CHECK(j["scalars"]["metrics/mAP50-95(B)"][0][1].get<double>() == 0.375);
  CHECK(j["scalars"]["lr/pg0"][0][1].get<double>() == doctest::Approx(0.07).epsilon(1e-6));
  auto img = j["images"]["results"];
  REQUIRE(img.size() == 1);
  CHECK(img[0]["step"] == 3);
  CHECK(img[0]["width"] == 1);
  CHECK(img[0]["height"] == 1);
  CHECK(img[0]["bytes"] == sizeof kPng1x1);
  CHECK(img[0]["head"][1] == 'P');
  auto mosaic = j["images"]["mosaic"];
  REQUIRE(mosaic.size() == 1);
  CHECK(mosaic[0]["width"] == 384);
  CHECK(mosaic[0]["height"] == 288);
  CHECK(mosaic[0]["head"][0] == 0xFF);
  CHECK(j["images"]["png_file"][0]["width"] == 1);
  fs::remove_all(dir);
}
