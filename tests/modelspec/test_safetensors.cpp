// safetensors I/O: bit-exact round trips of every dtype with metadata, the reference-written golden
// weights (names and shapes equal our state-dict table), and corrupt / truncated files that must
// throw ye::Error naming the file (and tensor) without crashing.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstring>
#include <random>

#include "kernels/error.h"
#include "engine/io/safetensors.h"
#include "modelspec/modelspec_helpers.h"
#include "yolo/model_spec/model_spec.h"

using namespace ye;
using namespace ye::io;
using ye::test::ScratchDir;

namespace {

SafeTensor random_tensor(const std::string& name, DType dt, std::vector<int64_t> shape, std::mt19937& rng) {
  SafeTensor t;
  t.name = name;
  t.dtype = dt;
  t.shape = std::move(shape);
  t.bytes.resize(size_t(t.numel()) * dtype_size(dt));
  for (auto& b : t.bytes) b = uint8_t(rng());
  return t;
}

std::vector<SafeTensor> sample(std::mt19937& rng) {
  return {random_tensor("model.0.conv.weight", DType::f32, {16, 3, 3, 3}, rng),
          random_tensor("half", DType::f16, {7, 5}, rng), random_tensor("brain", DType::bf16, {3}, rng),
          random_tensor("ints", DType::i32, {2, 2}, rng), random_tensor("bytes", DType::u8, {9}, rng),
          random_tensor("scalar", DType::f32, {}, rng), random_tensor("empty", DType::f32, {0, 4}, rng)};
}

void expect_error(const std::vector<uint8_t>& bytes, const std::vector<std::string>& needles) {
  try {
    parse_safetensors(bytes.data(), bytes.size(), "bad.safetensors");
    FAIL("no error");
  } catch (const ye::Error& e) {
    std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.find("bad.safetensors") != std::string::npos);
    for (const auto& n : needles) CHECK(msg.find(n) != std::string::npos);
  }
}

// A file whose header is the given JSON text followed by `data_size` zero bytes.
std::vector<uint8_t> with_header(const std::string& json, size_t data_size) {
  std::vector<uint8_t> out(8 + json.size() + data_size, 0);
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  std::memcpy(out.data() + 8, json.data(), json.size());
  return out;
}

}  // namespace

TEST_CASE("safetensors round trip is bit-exact for every dtype, with metadata") {
  std::mt19937 rng(std::random_device{}());
  std::vector<SafeTensor> in = sample(rng);
  std::map<std::string, std::string> meta = {{"model", "yolov8n"}, {"format", "pt"}};
  ScratchDir tmp;
  std::string path = tmp.path("w.safetensors");
  write_safetensors(path, in, meta);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  SafeTensorsFile out = read_safetensors(path);
  CHECK(out.metadata == meta);
  REQUIRE(out.tensors.size() == in.size());
  for (const auto& t : in) {
    CAPTURE(t.name);
    const SafeTensor& r = out.at(t.name);
    CHECK(r.dtype == t.dtype);
    CHECK(r.shape == t.shape);
    CHECK(r.bytes == t.bytes);
  }
  // Header length is a multiple of 8 and the bytes re-serialize identically.
  std::vector<uint8_t> bytes = serialize_safetensors(out.tensors, out.metadata);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  CHECK(n % 8 == 0);
  CHECK(serialize_safetensors(parse_safetensors(bytes.data(), bytes.size(), "x").tensors, meta) == bytes);
  CHECK_THROWS_WITH_AS(out.at("nope"), doctest::Contains("'nope'"), ye::Error);
}

TEST_CASE("the reference's golden weights read back with our state-dict names and shapes") {
  for (const char* name : {"yolov8n", "yolo11n"}) {
    CAPTURE(name);
    SafeTensorsFile f = read_safetensors(ye::test::models_golden(std::string(name) + "_nc3_weights.safetensors"));
    CHECK(f.metadata.at("model") == name);
    yolo::ModelSpec spec = yolo::load_model_spec(name, 3, "", ye::test::config_dir());
    size_t expected = 0;
    for (const auto& e : yolo::state_dict_entries(spec)) {
      if (e.integer) continue;  // num_batches_tracked is not stored
      ++expected;
      const SafeTensor* t = f.find(e.name);
      REQUIRE_MESSAGE(t != nullptr, e.name);
      CHECK(t->dtype == DType::f16);
      CHECK(t->shape == e.shape);
    }
    CHECK(f.tensors.size() == expected);
    // DFL weights are 0..15 (f16 bit patterns of small integers).
    const SafeTensor& dfl = f.at("model." + std::to_string(spec.layers.size() - 1) + ".dfl.conv.weight");
    uint16_t h15;
    std::memcpy(&h15, dfl.bytes.data() + 30, 2);
    CHECK(h15 == 0x4B80);  // 15.0 in IEEE half
  }
}

TEST_CASE("every truncation of a valid file fails cleanly") {
  std::mt19937 rng(7);
  std::vector<SafeTensor> in = sample(rng);
  std::vector<uint8_t> bytes = serialize_safetensors(in, {{"k", "v"}});
  for (size_t len = 0; len < bytes.size(); ++len) {
    CAPTURE(len);
    CHECK_THROWS_AS(parse_safetensors(bytes.data(), len, "bad.safetensors"), ye::Error);
  }
  expect_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 5), {"truncated"});
  expect_error(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1), {"past the data"});
}

TEST_CASE("corrupt headers fail with the file and tensor named") {
  std::vector<uint8_t> huge(16, 0xFF);
  expect_error(huge, {"header size"});
  expect_error(with_header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]", 8), {"not valid JSON"});
  expect_error(with_header("[1, 2]", 0), {"JSON object"});
  expect_error(with_header(R"({"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}})", 8), {"'w'", "F64"});
  expect_error(with_header(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8), {"'w'", "shape needs 12"});
  expect_error(with_header(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", 8), {"'w'", "negative"});
  expect_error(with_header(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", 8), {"'w'", "reversed"});
  expect_error(with_header(R"({"w": {"dtype": "F32", "shape": [2]}})", 8), {"'w'", "data_offsets"});
  expect_error(with_header(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 12), {"after the last tensor"});
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                               "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12),
               {"'b'", "overlapping"});
  expect_error(with_header(R"({"__metadata__": {"k": 3}})", 0), {"__metadata__"});
  expect_error(with_header(R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}})", 8),
               {"'w'", "too large"});
}

TEST_CASE("I64 tensors (num_batches_tracked) narrow to i32") {
  int64_t v = 123456;
  std::vector<uint8_t> bytes = with_header(R"({"n": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]}})", 8);
  std::memcpy(bytes.data() + bytes.size() - 8, &v, 8);
  SafeTensorsFile f = parse_safetensors(bytes.data(), bytes.size(), "n.safetensors");
  REQUIRE(f.tensors.size() == 1);
  CHECK(f.tensors[0].dtype == DType::i32);
  int32_t w;
  std::memcpy(&w, f.tensors[0].bytes.data(), 4);
  CHECK(w == 123456);
  v = int64_t(1) << 40;
  std::memcpy(bytes.data() + bytes.size() - 8, &v, 8);
  expect_error(bytes, {"does not fit in i32"});
}

TEST_CASE("writing rejects inconsistent tensors and unwritable paths") {
  std::mt19937 rng(1);
  SafeTensor a = random_tensor("a", DType::f32, {2}, rng);
  SafeTensor bad = a;
  bad.bytes.pop_back();
  CHECK_THROWS_WITH_AS(serialize_safetensors({a, a}), doctest::Contains("twice"), ye::Error);
  CHECK_THROWS_WITH_AS(serialize_safetensors({bad}), doctest::Contains("'a'"), ye::Error);
  CHECK_THROWS_WITH_AS(write_safetensors("/nonexistent-dir/x.safetensors", {a}), doctest::Contains("x.safetensors"), ye::Error);
  CHECK_THROWS_WITH_AS(read_safetensors("/nonexistent-dir/x.safetensors"), doctest::Contains("cannot be opened"), ye::Error);
}
