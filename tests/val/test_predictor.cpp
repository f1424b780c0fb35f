// The predictor with a fake model on coco8 images: every output file is written (annotated images,
// labels/<stem>.txt with normalized boxes and conf, predictions.json), boxes map back to the original
// image, a corrupt image is skipped with a message naming it; source listing (folder, .txt list).
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "data/image.h"
#include "tests/val/val_helpers.h"
#include "yolo/predict/predictor.h"
#include "yolo/predict/sources.h"
#include "yolo/run/atomic_file.h"
#include "yolo/val/postprocess.h"

namespace ye::yolo {
using test::TempDir;

namespace {
constexpr int kNc = 80;
// One box covering the middle half of the network input (class 5, score 0.8) and a weak one (0.1).
CallableEvalModel centre_box_model() {
  return CallableEvalModel([](const Tensor& input) {
    const int64_t H = input.dim(1), W = input.dim(2), A = 4;
    std::vector<float> v(size_t((4 + kNc) * A), 0.f);
    v[0 * A] = float(W) / 2, v[1 * A] = float(H) / 2, v[2 * A] = float(W) / 2, v[3 * A] = float(H) / 2;
    v[size_t(4 + 5) * A] = 0.8f;
    v[0 * A + 1] = 10, v[1 * A + 1] = 10, v[2 * A + 1] = 8, v[3 * A + 1] = 8;
    v[size_t(4 + 7) * A + 1] = 0.1f;
    DetectOutput out;
    out.decoded = Tensor::from_vector(v, Shape{1, 4 + kNc, A});
    return out;
  });
}

void copy_image(const std::string& name, const std::filesystem::path& to) {
  std::filesystem::copy_file(test::coco8_dir() + "/images/val/" + name, to / name);
}
}  // namespace

TEST_CASE("predict writes annotated images, labels and JSON, and skips a corrupt image") {
  TempDir dir("predict");
  const auto src = dir.path / "src";
  std::filesystem::create_directories(src);
  copy_image("000000000036.jpg", src);
  copy_image("000000000042.jpg", src);
  { std::ofstream(src / "broken.jpg", std::ios::binary) << "definitely not a jpeg"; }
  { std::ofstream(src / "notes.txt") << "not an image"; }
  const std::vector<std::string> files = list_image_sources(src.string());
  REQUIRE(files.size() == 3);  // the .txt is not an image

  std::vector<std::string> lines;
  PredictOptions o;
  o.imgsz = 320;
  o.names = test::coco8_val()->names();
  o.save_dir = dir.path / "out";
  o.log = [&](const std::string& s) { lines.push_back(s); };
  CallableEvalModel model = centre_box_model();
  const PredictSummary s = predict(model, files, o);

  REQUIRE(s.images.size() == 2);
  REQUIRE(s.skipped.size() == 1);
  CHECK(s.skipped[0].find("broken.jpg") != std::string::npos);
  bool warned = false;
  for (const auto& l : lines) warned |= l.find("broken.jpg") != std::string::npos && l.find("WARNING") == 0;
  CHECK(warned);

  for (const auto& p : s.images) {
    CAPTURE(p.path);
    REQUIRE(p.size() == 1);  // the 0.1 box is under conf 0.25
    CHECK(p.cls[0] == 5);
    CHECK(p.conf[0] == 0.8f);
    // The centre half of the letterboxed input, mapped back through its gain and padding.
    const RatioPad rp = ratio_pad_from_shapes(p.input_h, p.input_w, p.h0, p.w0);
    const double x1 = (p.input_w / 4.0 - rp.pad_x) / rp.gain, x2 = (p.input_w * 3 / 4.0 - rp.pad_x) / rp.gain;
    CHECK(p.boxes[0] == doctest::Approx(x1).epsilon(1e-5));
    CHECK(p.boxes[2] == doctest::Approx(x2).epsilon(1e-5));
    CHECK(p.boxes[1] == doctest::Approx((p.input_h / 4.0 - rp.pad_y) / rp.gain).epsilon(1e-5));
    CHECK(p.input_w % 32 == 0);
    CHECK(p.input_h % 32 == 0);
    CHECK(std::max(p.input_h, p.input_w) == 320);
    const std::string stem = std::filesystem::path(p.path).stem().string();
    CHECK(std::filesystem::file_size(o.save_dir / std::filesystem::path(p.path).filename()) > 1000);
    const data::Image annotated = data::load_image((o.save_dir / std::filesystem::path(p.path).filename()).string());
    CHECK(annotated.h == p.h0);
    CHECK(annotated.w == p.w0);
    const std::string txt = read_file(o.save_dir / "labels" / (stem + ".txt"));
    int c = -1;
    float xc = 0, yc = 0, w = 0, h = 0, conf = 0;
    REQUIRE(std::sscanf(txt.c_str(), "%d %f %f %f %f %f", &c, &xc, &yc, &w, &h, &conf) == 6);
    CHECK(c == 5);
    CHECK(xc == doctest::Approx(0.5).epsilon(0.01));
    CHECK(w == doctest::Approx((x2 - x1) / p.w0).epsilon(1e-5));
    CHECK(conf == doctest::Approx(0.8));
    CHECK(std::count(txt.begin(), txt.end(), '\n') == 1);
  }
  const auto j = nlohmann::json::parse(read_file(o.save_dir / "predictions.json"));
  REQUIRE(j.size() == 2);
  CHECK(j[0]["file"] == "000000000036.jpg");
  CHECK(j[0]["detections"].size() == 1);
  CHECK(j[0]["detections"][0]["name"] == "bus");
  CHECK(j[0]["detections"][0]["box"].size() == 4);
  CHECK(lines.front().find("image 1/3 ") == 0);
  CHECK(lines.front().find(": ") != std::string::npos);
  CHECK(lines.front().find("1 bus, ") != std::string::npos);
}

TEST_CASE("label lines and the detections summary follow the reference's formats") {
  ImagePrediction p;
  p.h0 = 200, p.w0 = 400;
  p.boxes = {100, 50, 300, 150, 0, 0, 40, 20};
  p.conf = {0.875f, 0.5f};
  p.cls = {2, 0};
  CHECK(label_lines(p) == "2 0.5 0.5 0.5 0.5 0.875\n0 0.05 0.05 0.1 0.1 0.5\n");
  p.cls = {0, 0};
  CHECK(detections_summary(p, {"person"}) == "2 persons, ");
  p.cls = {3, 0};
  CHECK(detections_summary(p, {"person"}) == "1 person, 1 3, ");
  CHECK(detections_summary(ImagePrediction{}, {}) == "(no detections), ");
}

TEST_CASE("sources: .txt lists resolve relative paths against the list's folder") {
  TempDir dir("sources");
  copy_image("000000000049.jpg", dir.path);
  std::filesystem::create_directories(dir.path / "sub");
  copy_image("000000000061.jpg", dir.path / "sub");
  { std::ofstream(dir.path / "list.txt") << "sub\n000000000049.jpg\n\nmissing.jpg\n"; }
  std::vector<std::string> msgs;
  const auto files = list_image_sources((dir.path / "list.txt").string(), [&](const std::string& m) { msgs.push_back(m); });
  REQUIRE(files.size() == 2);
  CHECK(files[0].find("000000000049.jpg") != std::string::npos);
  CHECK(files[1].find("sub/000000000061.jpg") != std::string::npos);
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].find("missing.jpg") != std::string::npos);
  CHECK_THROWS(list_image_sources((dir.path / "nothing_here").string()));
  CHECK(list_image_sources((dir.path / "000000000049.jpg").string()).size() == 1);
}

}  // namespace ye::yolo
