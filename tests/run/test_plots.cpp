// Tests of the run plots: every plot function writes a valid PNG/JPEG of the expected size
// (decoded back with stb_image) that is not blank; the smoothing filters match scipy / numpy
// values; bad inputs throw. Images are kept in $YE_PLOT_DIR when that is set (to look at them).
#include <doctest/doctest.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <unistd.h>

#include "kernels/error.h"
#include "yolo/run/atomic_file.h"
#include "yolo/run/plots.h"

using namespace ye::yolo;
namespace fs = std::filesystem;

namespace {
fs::path plot_dir() {
  if (const char* keep = std::getenv("YE_PLOT_DIR")) {
    fs::create_directories(keep);
    return keep;
  }
  fs::path d = fs::temp_directory_path() / ("ye_test_plots_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// Decodes the file and checks its size, that it is an image of the right kind, and that it has
// both light and dark pixels (something was drawn).
void check_image(const fs::path& path, int width, int height, double min_light = 0.1) {
  CAPTURE(path.string());
  std::string bytes = read_file(path);
  bool png = path.extension() == ".png";
  CHECK(bytes.substr(1, 3) == (png ? "PNG" : bytes.substr(1, 3)));
  if (!png) CHECK((unsigned char)bytes[0] == 0xFF);
  int w = 0, h = 0, ch = 0;
  unsigned char* px = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()), &w, &h, &ch, 3);
  REQUIRE(px != nullptr);
  CHECK(w == width);
  CHECK(h == height);
  size_t dark = 0, light = 0, n = size_t(w) * size_t(h);
  for (size_t i = 0; i < n; ++i) {
    int v = px[3 * i] + px[3 * i + 1] + px[3 * i + 2];
    dark += v < 200;
    light += v > 600;
  }
  stbi_image_free(px);
  CHECK(dark > n / 1000);
  CHECK(double(light) > double(n) * min_light);
}

std::vector<std::string> names3() { return {"person", "bicycle", "car"}; }
}  // namespace

TEST_CASE("smoothing filters equal scipy gaussian_filter1d and the reference's smooth") {
  // scipy.ndimage.gaussian_filter1d(np.arange(10.), 3) printed by the parity venv
  std::vector<double> y = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<double> g = gaussian_smooth(y, 3.0);
  const double ref[] = {1.93603671, 2.1921536, 2.67507336, 3.33255376, 4.09862656, 4.90137344, 5.66744624, 6.32492664, 6.8078464, 7.06396329};
  for (size_t i = 0; i < y.size(); ++i) CHECK(g[i] == doctest::Approx(ref[i]).epsilon(1e-6));
  std::vector<double> s = box_smooth({1, 2, 3, 4}, 0.5);  // nf = round(4) // 2 + 1 = 3
  REQUIRE(s.size() == 4);
  CHECK(s[0] == doctest::Approx(4.0 / 3));
  CHECK(s[1] == doctest::Approx(2.0));
  CHECK(s[3] == doctest::Approx(11.0 / 3));
  CHECK(box_smooth(std::vector<double>(1000, 2.0), 0.1) == std::vector<double>(1000, 2.0));
}

TEST_CASE("results.png: 2x5 grid at 2400x1200") {
  fs::path d = plot_dir();
  ResultsTable t;
  t.columns = results_csv_columns();
  for (int e = 1; e <= 30; ++e) {
    std::vector<double> row(t.columns.size(), 0.0);
    row[0] = e, row[1] = e * 10.0;
    for (size_t k = 2; k < row.size(); ++k) row[k] = (k >= 5 && k <= 8 ? 1.0 - std::exp(-e / 8.0) : std::exp(-e / 10.0) + 0.5) * (1 + 0.05 * std::sin(e * k));
    t.rows.push_back(row);
  }
  plot_results(t, d / "results.png");
  check_image(d / "results.png", 2400, 1200);
  ResultsTable one = t;
  one.rows.resize(1);  // a single epoch still plots
  plot_results(one, d / "results_one.png");
  check_image(d / "results_one.png", 2400, 1200);
  ResultsTable bad;
  bad.columns = {"epoch"};
  CHECK_THROWS_AS(plot_results(bad, d / "bad.png"), ye::Error);
}

TEST_CASE("confusion matrices, raw and normalized, 3000x2250") {
  fs::path d = plot_dir();
  std::vector<double> m = {50, 2, 0, 5, 1, 30, 3, 4, 0, 0, 20, 6, 7, 2, 1, 0};  // 4x4: 3 classes + background
  plot_confusion_matrix(m, names3(), false, d / "confusion_matrix.png");
  plot_confusion_matrix(m, names3(), true, d / "confusion_matrix_normalized.png");
  check_image(d / "confusion_matrix.png", 3000, 2250);
  check_image(d / "confusion_matrix_normalized.png", 3000, 2250);
  std::vector<std::string> many(80, "c");
  std::vector<double> big(81 * 81, 0.0);
  for (size_t i = 0; i < 81; ++i) big[i * 81 + i] = 10;
  plot_confusion_matrix(big, many, true, d / "confusion_80.png");
  check_image(d / "confusion_80.png", 3000, 2250);
  CHECK_THROWS_AS(plot_confusion_matrix({1, 2, 3}, names3(), false, d / "x.png"), ye::Error);
}

TEST_CASE("Box curves: PR, F1, P, R at 2250x1500") {
  fs::path d = plot_dir();
  std::vector<double> px(1000);
  for (size_t k = 0; k < px.size(); ++k) px[k] = double(k) / 999.0;
  std::vector<std::vector<double>> pr(3, std::vector<double>(1000)), f1 = pr;
  for (size_t c = 0; c < 3; ++c)
    for (size_t k = 0; k < 1000; ++k) {
      pr[c][k] = std::max(0.0, 1.0 - std::pow(px[k], 2.0 + double(c)));
      f1[c][k] = std::sin(M_PI * px[k]) * (0.9 - 0.2 * double(c));
    }
  plot_pr_curve(px, pr, {0.71, 0.65, 0.5}, names3(), d / "BoxPR_curve.png");
  plot_metric_confidence_curve(px, f1, names3(), "F1", d / "BoxF1_curve.png");
  plot_metric_confidence_curve(px, f1, names3(), "Precision", d / "BoxP_curve.png");
  plot_metric_confidence_curve(px, f1, names3(), "Recall", d / "BoxR_curve.png");
  for (const char* f : {"BoxPR_curve.png", "BoxF1_curve.png", "BoxP_curve.png", "BoxR_curve.png"}) check_image(d / f, 2250, 1500);
  std::vector<std::vector<double>> many(40, f1[0]);  // >= 21 classes: grey lines, no per-class legend
  plot_metric_confidence_curve(px, many, std::vector<std::string>(40, "x"), "F1", d / "BoxF1_many.png");
  check_image(d / "BoxF1_many.png", 2250, 1500);
  CHECK_THROWS_AS(plot_pr_curve(px, pr, {0.5}, names3(), d / "x.png"), ye::Error);
  CHECK_THROWS_AS(plot_pr_curve(px, {{0.1, 0.2}}, {0.5}, names3(), d / "x.png"), ye::Error);
}

TEST_CASE("labels.jpg and labels_correlogram.jpg at 1600x1600") {
  fs::path d = plot_dir();
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.05f, 0.95f);
  std::vector<LabelBox> labels;
  for (int i = 0; i < 2000; ++i) labels.push_back({i % 7 == 0 ? 2 : i % 3, u(rng), u(rng), u(rng) * 0.4f, u(rng) * 0.5f});
  plot_labels(labels, names3(), d / "labels.jpg");
  plot_labels_correlogram(labels, d / "labels_correlogram.jpg");
  check_image(d / "labels.jpg", 1600, 1600);
  check_image(d / "labels_correlogram.jpg", 1600, 1600);
  CHECK_THROWS_AS(plot_labels({{-1, 0.5f, 0.5f, 0.1f, 0.1f}}, names3(), d / "x.jpg"), ye::Error);
}

TEST_CASE("batch mosaics: labels and predictions, at most 1920 px") {
  fs::path d = plot_dir();
  const int n = 16, h = 640, w = 640;
  std::vector<uint8_t> imgs(size_t(n) * h * w * 3);
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        uint8_t* p = &imgs[((size_t(i) * h + y) * w + x) * 3];
        p[0] = uint8_t(x / 3 + i * 10), p[1] = uint8_t(y / 3), p[2] = uint8_t(128 + 8 * i);
      }
  std::vector<BatchBox> gt, pred;
  for (int i = 0; i < n; ++i) {
    gt.push_back({i, i % 3, 0.5f, 0.5f, 0.4f, 0.3f});
    gt.push_back({i, 1, 0.2f, 0.1f, 0.2f, 0.15f});
    pred.push_back({i, i % 3, 320.f, 320.f, 250.f, 200.f, 0.87f});
    pred.push_back({i, 0, 100.f, 100.f, 50.f, 50.f, 0.1f});  // below 0.25: not drawn
  }
  auto [mw, mh] = batch_mosaic_size(n, h, w);
  CHECK(mw == 1920);
  CHECK(mh == 1920);
  plot_batch(imgs.data(), n, h, w, gt, names3(), d / "train_batch0.jpg", {"/data/images/000000000009.jpg"});
  plot_batch(imgs.data(), n, h, w, gt, names3(), d / "val_batch0_labels.jpg");
  plot_batch(imgs.data(), n, h, w, pred, names3(), d / "val_batch0_pred.jpg");
  check_image(d / "train_batch0.jpg", 1920, 1920, 0.005);  // photos: only borders and labels are light
  check_image(d / "val_batch0_labels.jpg", 1920, 1920, 0.005);
  check_image(d / "val_batch0_pred.jpg", 1920, 1920, 0.005);
  // 5 small rectangular images: 3x3 grid, no downscale.
  auto [sw, sh] = batch_mosaic_size(5, 96, 128);
  CHECK(sw == 384);
  CHECK(sh == 288);
  plot_batch(imgs.data(), 5, 96, 128, {{0, 0, 0.5f, 0.5f, 0.5f, 0.5f}}, names3(), d / "small.png");
  check_image(d / "small.png", 384, 288);
  CHECK_THROWS_AS(plot_batch(nullptr, 1, 4, 4, {}, names3(), d / "x.jpg"), ye::Error);
  CHECK_THROWS_AS(plot_batch(imgs.data(), 1, 4, 4, {}, names3(), d / "x.gif"), ye::Error);
}
