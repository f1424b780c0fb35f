// Resolved specs of all ten built-in models against the reference: parameter / gradient / layer
// counts, exact thop MACs and printed GFLOPs (fused and unfused), per-layer params, the printed layer
// tables, the state-dict name tables (names, shapes, order, kinds) and the nc == channels quirk.
#include <doctest/doctest.h>

#include <cstdio>

#include "modelspec/modelspec_helpers.h"
#include "yolo/model_spec/model_spec.h"

using namespace ye::yolo;
using ye::test::config_dir;
using ye::test::load_json;
using ye::test::models_golden;

namespace {

ModelSpec spec_of(const std::string& name, int nc = 0) { return load_model_spec(name, nc, "", config_dir()); }

std::string one_decimal(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", x);
  return b;
}

}  // namespace

TEST_CASE("parameter counts of the ten models equal the reference (nc=80)") {
  const std::pair<const char*, int64_t> expected[] = {
      {"yolov8n", 3157200},  {"yolov8s", 11166560}, {"yolov8m", 25902640}, {"yolov8l", 43691520},
      {"yolov8x", 68229648}, {"yolo11n", 2624080},  {"yolo11s", 9458752},  {"yolo11m", 20114688},
      {"yolo11l", 25372160}, {"yolo11x", 56966176}};
  for (const auto& entry : expected) {
    const char* name = entry.first;  // not a structured binding: CAPTURE takes it by reference (clang 14)
    const int64_t params = entry.second;
    CAPTURE(name);
    ModelCounts c = model_counts(spec_of(name));
    CHECK(c.parameters == params);
    CHECK(c.gradients == params - 16);  // the frozen DFL conv
  }
}

TEST_CASE("layers, fused counts, MACs and GFLOPs match the reference's golden for every model") {
  nlohmann::json g = load_json(models_golden("model_stats.json"));
  for (auto it = g.begin(); it != g.end(); ++it) {
    const auto& r = it.value();
    CAPTURE(it.key());
    ModelSpec s = spec_of(r["model"].get<std::string>(), r["nc"].get<int>());
    ModelCounts u = model_counts(s, false), f = model_counts(s, true);
    CHECK(u.parameters == r["parameters"].get<int64_t>());
    CHECK(u.gradients == r["gradients"].get<int64_t>());
    CHECK(u.layers == r["layers"].get<int>());
    CHECK(f.parameters == r["fused_parameters"].get<int64_t>());
    CHECK(f.gradients == r["fused_gradients"].get<int64_t>());
    CHECK(f.layers == r["fused_layers"].get<int>());
    CHECK(model_macs(s, 32, 32, false) == r["macs_32"].get<double>());
    CHECK(model_macs(s, 32, 32, true) == r["fused_macs_32"].get<double>());
    CHECK(one_decimal(model_gflops(s, 640, 640, false)) == one_decimal(r["gflops_640"].get<double>()));
    CHECK(one_decimal(model_gflops(s, 640, 640, true)) == one_decimal(r["fused_gflops_640"].get<double>()));
    CHECK(model_gflops(s, 640, 640, false) == doctest::Approx(r["gflops_640"].get<double>()).epsilon(1e-12));
    CHECK(model_gflops(s, 320, 320, false) == doctest::Approx(r["gflops_320"].get<double>()).epsilon(1e-12));
    const auto& per_layer = r["per_layer_params"];
    REQUIRE(per_layer.size() == s.layers.size());
    for (size_t i = 0; i < s.layers.size(); ++i) {
      CAPTURE(i);
      CHECK(s.layers[i].params == per_layer[i].get<int64_t>());
    }
    CHECK(state_dict_entries(s).size() == r["state_entries"].get<size_t>());
  }
}

TEST_CASE("summary lines read like the reference's") {
  CHECK(summary_line(spec_of("yolov8s")) == "YOLOv8s summary: 129 layers, 11,166,560 parameters, 11,166,544 gradients, 28.8 GFLOPs");
  CHECK(summary_line(spec_of("yolov8n"), 640, true, false) == "YOLOv8n summary (fused): 72 layers, 3,151,904 parameters, 3,151,888 gradients, 8.7 GFLOPs");
  CHECK(summary_line(spec_of("yolov8n"), 640, true) == "YOLOv8n summary (fused): 72 layers, 3,151,904 parameters, 0 gradients, 8.7 GFLOPs");
  CHECK(summary_line(spec_of("yolo11n")) == "YOLO11n summary: 181 layers, 2,624,080 parameters, 2,624,064 gradients, 6.6 GFLOPs");
}

TEST_CASE("layer tables equal the ones the reference prints (yolov8s, yolo11m)") {
  nlohmann::json g = load_json(models_golden("model_stats.json"));
  for (const char* name : {"yolov8s", "yolo11m"}) {
    CAPTURE(name);
    std::string expected = g[name]["table"].get<std::string>();
    std::string actual = layer_table(spec_of(name));
    // The reference pads rows with trailing spaces; compare line by line without them.
    auto strip = [](std::string t) {
      std::string out, line;
      for (char c : t + "\n") {
        if (c == '\n') {
          while (!line.empty() && line.back() == ' ') line.pop_back();
          out += line + "\n";
          line.clear();
        } else {
          line += c;
        }
      }
      return out;
    };
    CHECK(strip(actual) == strip(expected));
  }
}

TEST_CASE("state-dict name tables equal the reference's (names, shapes, order, kinds)") {
  for (const char* name : {"yolov8n", "yolov8s", "yolo11n", "yolo11s"}) {
    CAPTURE(name);
    nlohmann::json g = load_json(models_golden(std::string("names_") + name + ".json"));
    std::vector<StateEntry> entries = state_dict_entries(spec_of(name, g["nc"].get<int>()));
    const auto& ref = g["entries"];
    REQUIRE(entries.size() == ref.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      CAPTURE(i);
      const StateEntry& e = entries[i];
      REQUIRE(e.name == ref[i][0].get<std::string>());
      CHECK(e.shape == ref[i][1].get<std::vector<int64_t>>());
      std::string kind = ref[i][2].get<std::string>();
      std::string mine = e.parameter ? (e.trainable ? "param" : "frozen") : (e.integer ? "int_buffer" : "buffer");
      CHECK(mine == kind);
    }
  }
}

TEST_CASE("resolved yolov8s / yolo11m layers carry the reference's channels, repeats and flags") {
  ModelSpec v8 = spec_of("yolov8s");
  const int v8_out[] = {32, 64, 64, 128, 128, 256, 256, 512, 512, 512, 512, 768, 256, 256, 384, 128, 128, 384, 256, 256, 768, 512};
  for (int i = 0; i < 22; ++i) CHECK(v8.layers[i].c2 == v8_out[i]);
  CHECK(v8.layers[4].n == 2);
  CHECK(v8.layers[4].shortcut);
  CHECK_FALSE(v8.layers[12].shortcut);
  CHECK(v8.detect_legacy);
  CHECK(v8.detect().detect.ch == std::vector<int>{128, 256, 512});
  CHECK(v8.detect().detect.c2 == 64);
  CHECK(v8.detect().detect.c3 == 128);
  CHECK(v8.detect().detect.strides == std::vector<int>{8, 16, 32});
  CHECK(v8.save == std::vector<int>{4, 6, 9, 12, 15, 18, 21});

  ModelSpec m = spec_of("yolo11m");
  CHECK_FALSE(m.detect_legacy);
  for (const auto& l : m.layers)
    if (l.kind == ModuleKind::C3k2) CHECK(l.c3k);  // forced for m/l/x
  CHECK(m.layers[2].e == 0.25);
  CHECK(m.layers[10].kind == ModuleKind::C2PSA);
  CHECK(m.detect().detect.c3 == 256);
  ModelSpec n = spec_of("yolo11n");
  CHECK_FALSE(n.layers[2].c3k);
  CHECK(n.layers[6].c3k);
  CHECK(n.layers[10].n == 1);
  CHECK(spec_of("yolo11l").layers[10].n == 2);
}

TEST_CASE("nc override reaches Detect and the head sizes") {
  ModelSpec s = spec_of("yolov8n", 3);
  CHECK(s.nc == 3);
  CHECK(s.detect().detect.nc == 3);
  CHECK(s.detect().detect.c3 == 64);  // max(ch[0], min(nc, 100))
  CHECK(s.detect().c2 == 67);
  CHECK(python_str(s.detect().args) == "[3, [64, 128, 256]]");
}
