// Hostile weight files: safetensors whose header length passes the file end, malformed or non-object
// JSON, overlapping, out-of-range or unordered offsets, unknown dtypes, shapes whose byte count
// disagrees with the offsets, huge declared shapes or header sizes, deep nesting, empty files. The
// reader rejects each with a message naming the file, before allocating any declared size (shown in
// a child process under a 1 GiB address-space limit); every command that reads weights exits 1.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "data/synth.h"
#include "engine/io/safetensors.h"
#include "kernels/error.h"
#include "robustness/robust_util.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
// A file: 8-byte little-endian `declared` header length, then `header`, then `body`.
std::string file_bytes(uint64_t declared, const std::string& header, const std::string& body = "") {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char(uint8_t(declared >> (8 * i)));
  return out + header + body;
}
std::string file_bytes(const std::string& header, const std::string& body = "") {
  return file_bytes(header.size(), header, body);
}

struct Hostile { const char* name; std::string bytes; const char* says; };

std::vector<Hostile> hostile_files() {
  const std::string body16(16, '\x01');
  return {
      {"empty", "", "truncated (0 bytes"},
      {"five_bytes", std::string("\x10\0\0\0\0", 5), "truncated (5 bytes"},
      {"header_past_end", file_bytes(4096, "{}"), "header of 4096 bytes but only 2 bytes follow"},
      {"huge_header", file_bytes(uint64_t(1) << 62, "{}"), "is implausible"},
      {"not_json", file_bytes("{\"a\": [1, 2"), "header is not valid JSON"},
      {"binary_header", file_bytes(std::string("\xff\xfe\x00\x80", 4)), "header is not valid JSON"},
      {"array_header", file_bytes("[1, 2, 3]"), "header must be a JSON object"},
      {"string_header", file_bytes("\"weights\""), "header must be a JSON object"},
      {"entry_not_object", file_bytes("{\"w\": 5}"), "entry must be an object"},
      {"unknown_dtype", file_bytes(R"({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}})", body16),
       "unsupported dtype 'F64'"},
      {"dtype_not_string", file_bytes(R"({"w": {"dtype": 4, "shape": [4], "data_offsets": [0, 16]}})", body16),
       "missing or non-string dtype"},
      {"no_shape", file_bytes(R"({"w": {"dtype": "F32", "data_offsets": [0, 16]}})", body16), "missing shape array"},
      {"float_shape", file_bytes(R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 16]}})", body16),
       "shape entries must be integers"},
      {"negative_shape", file_bytes(R"({"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}})", body16),
       "negative dimension"},
      {"huge_shape",
       file_bytes(R"({"w": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 16]}})", body16),
       "shape is too large"},
      {"shape_disagrees", file_bytes(R"({"w": {"dtype": "F32", "shape": [1000000000], "data_offsets": [0, 16]}})", body16),
       "data_offsets span 16 bytes but shape needs 4000000000 bytes"},
      {"offsets_past_end", file_bytes(R"({"w": {"dtype": "U8", "shape": [1099511627776], "data_offsets": [0, 1099511627776]}})", body16),
       "is past the data (16 bytes; truncated file?)"},
      {"offsets_reversed", file_bytes(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [16, 0]}})", body16),
       "are reversed"},
      {"offsets_negative", file_bytes(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [-16, 0]}})", body16),
       "data_offsets must be [begin, end]"},
      {"offsets_missing", file_bytes(R"({"w": {"dtype": "F32", "shape": [4]}})", body16), "data_offsets must be"},
      {"overlapping",
       file_bytes(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                  body16),
       "overlapping or missing data"},
      {"gap",
       file_bytes(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}})",
                  body16),
       "overlapping or missing data"},
      {"trailing_data", file_bytes(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", body16),
       "8 bytes of data after the last tensor"},
      {"metadata_not_strings", file_bytes(R"({"__metadata__": {"model": 7}})"), "__metadata__ value of 'model'"},
      {"i64_overflow", file_bytes(R"({"n": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})", std::string(16, '\x7f')),
       "does not fit in i32"},
      {"deep_nesting", file_bytes(std::string(200000, '[') + std::string(200000, ']')), "nested deeper than"},
  };
}

// Parses `bytes` in a child process limited to 1 GiB of address space; true when it failed cleanly
// with ye::Error. (Not under AddressSanitizer, which reserves terabytes of shadow memory.)
bool rejected_within_1gib(const std::string& bytes) {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit lim{rlim_t(1) << 30, rlim_t(1) << 30};
    ::setrlimit(RLIMIT_AS, &lim);
    try {
      io::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
    } catch (const Error&) {
      ::_exit(0);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif
}  // namespace

TEST_CASE("hostile safetensors files are rejected with a message naming the file") {
  fs::path d = robust::scratch("st_hostile");
  for (const Hostile& h : hostile_files()) {
    INFO(h.name);
    const fs::path p = d / (std::string(h.name) + ".safetensors");
    robust::write_file(p, h.bytes);
    CHECK_THROWS_WITH_AS(io::read_safetensors(p.string()), doctest::Contains(("'" + p.string() + "'").c_str()), Error);
    CHECK_THROWS_WITH_AS(io::read_safetensors(p.string()), doctest::Contains(h.says), Error);
    if (!kAddressSanitizer) CHECK(rejected_within_1gib(h.bytes));
  }
  fs::remove_all(d);
}

TEST_CASE("header-only metadata reads reject the same header faults") {
  fs::path d = robust::scratch("st_meta");
  for (const Hostile& h : hostile_files()) {
    const std::string name = h.name;
    if (name != "empty" && name != "header_past_end" && name != "huge_header" && name != "not_json" &&
        name != "array_header" && name != "metadata_not_strings" && name != "deep_nesting")
      continue;
    INFO(name);
    const fs::path p = d / (name + ".safetensors");
    robust::write_file(p, h.bytes);
    CHECK_THROWS_WITH_AS(io::read_safetensors_metadata(p.string()), doctest::Contains(h.says), Error);
  }
  fs::remove_all(d);
}

TEST_CASE("a well-formed file still loads (the checks reject only what is wrong)") {
  io::SafeTensor t;
  t.name = "w";
  t.shape = {2, 2};
  t.bytes.assign(16, 0);
  std::vector<uint8_t> b = io::serialize_safetensors({t}, {{"model", "yolov8n"}});
  io::SafeTensorsFile f = io::parse_safetensors(b.data(), b.size(), "ok");
  CHECK(f.at("w").numel() == 4);
  CHECK(f.metadata["model"] == "yolov8n");
}

TEST_CASE("every command that reads weights exits 1 naming the hostile file") {
  fs::path d = robust::scratch("st_cli");
  data::SynthOptions so;
  so.out_dir = (d / "synth").string();
  so.images = 4;
  so.imgsz = 64;
  std::string yaml = data::generate_synthetic_dataset(so).yaml_path;
  const std::string tiny = R"({"__metadata__": {"model": "yolov8n", "nc": "3"}, "model.0.conv.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
  const std::vector<Hostile> files = {
      {"empty", "", "truncated (0 bytes"},
      {"past_end", file_bytes(4096, "{}"), "header of 4096 bytes"},
      {"offsets", file_bytes(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 99]}})", "abcd"), "is past the data"},
      {"shape", file_bytes(tiny, "abcd"), "model.0.conv.weight"},
      {"names", file_bytes(R"({"__metadata__": {"model": "yolov8n", "names": "{\"x\": 1}"}})"), "names"},
  };
  for (const Hostile& h : files) {
    INFO(h.name);
    const fs::path w = d / (std::string(h.name) + ".safetensors");
    robust::write_file(w, h.bytes);
    std::vector<std::vector<std::string>> commands = {
        {"val", "--weights", w.string(), "--data", yaml, "--device", "cpu", "--imgsz", "64"},
        {"predict", "--weights", w.string(), "--source", (d / "synth/images/val").string(), "--device", "cpu"},
    };
    // Pretrained weights transfer by name and shape (the reference's rule): only unreadable files stop training.
    const std::string name = h.name;
    if (name != "shape" && name != "names")
      commands.push_back({"train", "--weights", w.string(), "--data", yaml, "--device", "cpu", "--imgsz", "64",
                          "--epochs", "1", "--batch", "2", "--plots", "false", "--project", (d / "runs").string()});
    for (const auto& cmd : commands) {
      INFO(cmd[0]);
      robust::CliResult r = robust::run_yolo(cmd, d);
      robust::check_clean_error(r, w.string());
      CHECK(robust::contains(r.output, h.says));
    }
  }
  // --resume reads the checkpoint's metadata and its training state: both hostile.
  fs::path last = d / "runs/train/exp/weights/last.safetensors";
  robust::write_file(last, file_bytes(4096, "{}"));
  robust::write_file(d / "runs/train/exp/weights/last.state.safetensors", file_bytes("[1]"));
  robust::CliResult r = robust::run_yolo({"train", "--resume", last.string()}, d);
  robust::check_clean_error(r, "last.state.safetensors");
  CHECK(robust::contains(r.output, "header must be a JSON object"));
  robust::write_file(d / "runs/train/exp/weights/last.state.safetensors", "");
  robust::check_clean_error(robust::run_yolo({"train", "--resume", last.string()}, d), "truncated (0 bytes");
  fs::remove_all(d);
}
