// Synthetic dataset generator (see synth.h): cairo draws each image (textured background, then the
// shapes), boxes are the exact extents of the drawn geometry, files are written with image_write.
#include "data/synth.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <vector>

#include "data/image.h"
#include "data/image_write.h"
#include "data/rng.h"
#include "kernels/error.h"

namespace fs = std::filesystem;

namespace ye::data {
namespace {

constexpr int kShapes = 8;
const char* kShapeNames[kShapes] = {"circle", "square", "triangle", "diamond", "ring", "cross", "hexagon", "star"};

struct Rgb {
  double r, g, b;
};

Rgb hsv_to_rgb(double h, double s, double v) {
  h = std::fmod(h, 1.0) * 6;
  int i = int(h);
  double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i % 6) {
    case 0: return {v, t, p};
    case 1: return {q, v, p};
    case 2: return {p, v, t};
    case 3: return {p, q, v};
    case 4: return {t, p, v};
    default: return {v, p, q};
  }
}

// Class colour: saturated, hues spread by the golden ratio, brightness alternating for > 8 classes.
Rgb class_colour(int c) { return hsv_to_rgb(0.03 + c * 0.381966, 0.9, (c / kShapes) % 2 ? 0.65 : 0.95); }

void draw_background(cairo_t* cr, int w, int h, SampleRng& rng) {
  Rgb a = hsv_to_rgb(rng.uniform(), rng.uniform(0.05, 0.25), rng.uniform(0.3, 0.8));
  Rgb b = hsv_to_rgb(rng.uniform(), rng.uniform(0.05, 0.25), rng.uniform(0.3, 0.8));
  cairo_pattern_t* g = cairo_pattern_create_linear(0, 0, w * rng.uniform(0.3, 1), h * rng.uniform(0.3, 1));
  cairo_pattern_add_color_stop_rgb(g, 0, a.r, a.g, a.b);
  cairo_pattern_add_color_stop_rgb(g, 1, b.r, b.g, b.b);
  cairo_set_source(cr, g);
  cairo_paint(cr);
  cairo_pattern_destroy(g);
  // Texture: faint stripes and blobs in muted colours.
  int n = 6 + int(rng.below(10));
  for (int i = 0; i < n; ++i) {
    Rgb c = hsv_to_rgb(rng.uniform(), rng.uniform(0, 0.2), rng.uniform(0.2, 0.9));
    cairo_set_source_rgba(cr, c.r, c.g, c.b, rng.uniform(0.1, 0.3));
    if (rng.chance(0.5)) {
      cairo_set_line_width(cr, rng.uniform(1, 6));
      cairo_move_to(cr, rng.uniform(0, w), rng.uniform(0, h));
      cairo_line_to(cr, rng.uniform(0, w), rng.uniform(0, h));
      cairo_stroke(cr);
    } else {
      cairo_arc(cr, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(5, 0.2 * std::min(w, h)), 0, 2 * std::numbers::pi);
      cairo_fill(cr);
    }
  }
}

// Polygon vertices of shape `kind` inside the square of half-size r around (cx, cy).
std::vector<std::pair<double, double>> shape_polygon(int kind, double cx, double cy, double r) {
  std::vector<std::pair<double, double>> v;
  auto regular = [&](int n, double rot, double rad) {
    for (int i = 0; i < n; ++i) {
      double a = rot + 2 * std::numbers::pi * i / n;
      v.push_back({cx + rad * std::cos(a), cy + rad * std::sin(a)});
    }
  };
  switch (kind) {
    case 1: v = {{cx - r, cy - r}, {cx + r, cy - r}, {cx + r, cy + r}, {cx - r, cy + r}}; break;
    case 2: v = {{cx, cy - r}, {cx + r, cy + r}, {cx - r, cy + r}}; break;
    case 3: v = {{cx, cy - r}, {cx + 0.7 * r, cy}, {cx, cy + r}, {cx - 0.7 * r, cy}}; break;
    case 5: {
      double t = 0.33 * r;
      v = {{cx - t, cy - r}, {cx + t, cy - r}, {cx + t, cy - t}, {cx + r, cy - t}, {cx + r, cy + t}, {cx + t, cy + t},
           {cx + t, cy + r}, {cx - t, cy + r}, {cx - t, cy + t}, {cx - r, cy + t}, {cx - r, cy - t}, {cx - t, cy - t}};
      break;
    }
    case 6: regular(6, 0, r); break;
    case 7:
      for (int i = 0; i < 10; ++i) {
        double a = -std::numbers::pi / 2 + std::numbers::pi * i / 5, rad = i % 2 ? 0.45 * r : r;
        v.push_back({cx + rad * std::cos(a), cy + rad * std::sin(a)});
      }
      break;
    default: break;
  }
  return v;
}

struct Placed {
  int cls;
  double x1, y1, x2, y2;
};

// Draws class c's shape; returns its exact extent.
Placed draw_shape(cairo_t* cr, int c, double cx, double cy, double r) {
  const int kind = c % kShapes;
  Rgb col = class_colour(c);
  cairo_set_source_rgb(cr, col.r, col.g, col.b);
  if (kind == 0 || kind == 4) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, cx, cy, r, 0, 2 * std::numbers::pi);
    if (kind == 4) {
      cairo_new_sub_path(cr);
      cairo_arc_negative(cr, cx, cy, 0.55 * r, 2 * std::numbers::pi, 0);
    }
    cairo_fill(cr);
    return {c, cx - r, cy - r, cx + r, cy + r};
  }
  auto v = shape_polygon(kind, cx, cy, r);
  Placed p{c, 1e9, 1e9, -1e9, -1e9};
  cairo_move_to(cr, v[0].first, v[0].second);
  for (auto [x, y] : v) {
    cairo_line_to(cr, x, y);
    p.x1 = std::min(p.x1, x), p.y1 = std::min(p.y1, y), p.x2 = std::max(p.x2, x), p.y2 = std::max(p.y2, y);
  }
  cairo_close_path(cr);
  cairo_fill(cr);
  return p;
}

Image surface_to_image(cairo_surface_t* s, int w, int h) {
  cairo_surface_flush(s);
  const uint8_t* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  Image img(h, w);
  for (int y = 0; y < h; ++y) {
    auto* row = reinterpret_cast<const uint32_t*>(data + size_t(y) * stride);
    uint8_t* dst = img.row(y);
    for (int x = 0; x < w; ++x) {
      dst[3 * x] = uint8_t(row[x] >> 16), dst[3 * x + 1] = uint8_t(row[x] >> 8), dst[3 * x + 2] = uint8_t(row[x]);
    }
  }
  return img;
}

int64_t make_image(const SynthOptions& opt, int index, const std::string& image_path, const std::string& label_path) {
  SampleRng rng(opt.seed, 0x5157, uint64_t(index));
  const int w = opt.imgsz, h = std::max(32, int(opt.imgsz * rng.uniform(0.75, 1.0)));
  const bool tall = rng.chance(0.3);
  const int W = tall ? h : w, H = tall ? w : h;
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  cairo_t* cr = cairo_create(s);
  draw_background(cr, W, H, rng);
  std::vector<Placed> placed;
  const int want = 1 + int(rng.below(opt.max_objects));
  for (int tries = 0; int(placed.size()) < want && tries < 50; ++tries) {
    const double r = std::min(W, H) * rng.uniform(0.05, 0.2);
    const double cx = rng.uniform(r, W - r), cy = rng.uniform(r, H - r);
    bool overlaps = std::any_of(placed.begin(), placed.end(), [&](const Placed& p) {
      return cx + r + 3 > p.x1 && cx - r - 3 < p.x2 && cy + r + 3 > p.y1 && cy - r - 3 < p.y2;
    });
    if (overlaps) continue;
    placed.push_back(draw_shape(cr, int(rng.below(opt.classes)), cx, cy, r));
  }
  cairo_destroy(cr);
  Image img = surface_to_image(s, W, H);
  cairo_surface_destroy(s);
  if (opt.jpeg)
    write_jpeg(img, image_path, 92);
  else
    write_png(img, image_path);
  std::ofstream lf(label_path);
  YE_CHECK(lf, label_path, ": cannot write");
  lf.setf(std::ios::fixed);
  lf.precision(6);
  for (const auto& p : placed)
    lf << p.cls << ' ' << (p.x1 + p.x2) / 2 / W << ' ' << (p.y1 + p.y2) / 2 / H << ' ' << (p.x2 - p.x1) / W << ' '
       << (p.y2 - p.y1) / H << '\n';
  return int64_t(placed.size());
}

}  // namespace

std::string synth_class_name(int c) {
  std::string name = kShapeNames[c % kShapes];
  if (c >= kShapes) name += "_" + std::to_string(c / kShapes);
  return name;
}

SynthResult generate_synthetic_dataset(const SynthOptions& opt) {
  YE_CHECK(!opt.out_dir.empty(), "synth: --out is required");
  YE_CHECK(opt.images >= 2, "synth: --images must be at least 2 (got ", opt.images, ")");
  YE_CHECK(opt.classes >= 1 && opt.classes <= 64, "synth: --classes must be in 1..64 (got ", opt.classes, ")");
  YE_CHECK(opt.imgsz >= 32 && opt.imgsz <= 4096, "synth: --imgsz must be in 32..4096 (got ", opt.imgsz, ")");
  YE_CHECK(opt.max_objects >= 1, "synth: max_objects must be >= 1");
  fs::path root = fs::absolute(opt.out_dir);
  SynthResult res;
  res.val_images = std::clamp(int(std::lround(opt.images * opt.val_fraction)), 1, opt.images - 1);
  res.train_images = opt.images - res.val_images;
  for (const char* split : {"train", "val"}) {
    std::error_code ec;
    fs::create_directories(root / "images" / split, ec);
    fs::create_directories(root / "labels" / split, ec);
    YE_CHECK(!ec, (root / "images" / split).string(), ": cannot create (", ec.message(), ")");
  }
  const char* ext = opt.jpeg ? ".jpg" : ".png";
  for (int i = 0; i < opt.images; ++i) {
    const bool train = i < res.train_images;
    const char* split = train ? "train" : "val";
    char stem[32];
    std::snprintf(stem, sizeof stem, "%06d", i);
    int64_t n = make_image(opt, i, (root / "images" / split / (std::string(stem) + ext)).string(),
                           (root / "labels" / split / (std::string(stem) + ".txt")).string());
    (train ? res.train_boxes : res.val_boxes) += n;
  }
  res.yaml_path = (root / "data.yaml").string();
  std::ofstream y(res.yaml_path);
  YE_CHECK(y, res.yaml_path, ": cannot write");
  y << "# Synthetic shapes dataset written by `yolo synth` (" << opt.images << " images, " << opt.classes
    << " classes, imgsz " << opt.imgsz << ", seed " << opt.seed << ").\n";
  y << "path: .\ntrain: images/train\nval: images/val\nnc: " << opt.classes << "\nnames:\n";
  for (int c = 0; c < opt.classes; ++c) y << "  " << c << ": " << synth_class_name(c) << "\n";
  return res;
}

}  // namespace ye::data
