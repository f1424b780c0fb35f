// Cairo drawing primitives, axes with ticks, colour maps and PNG/JPEG encoding; see canvas.h.
#include "yolo/run/canvas.h"

#include <algorithm>
#include <cairo.h>
#include <cmath>
#include <turbojpeg.h>

#include "kernels/error.h"
#include "yolo/config/py_format.h"
#include "yolo/run/atomic_file.h"

namespace ye::yolo::plot {

Rgb rgb255(int r, int g, int b) { return {r / 255.0, g / 255.0, b / 255.0}; }

Rgb class_color(int64_t cls) {
  static constexpr uint32_t kPalette[] = {0x042AFF, 0x0BDBEB, 0xF3F3F3, 0x00DFB7, 0x111F68, 0xFF6FDD, 0xFF444F,
                                          0xCCED00, 0x00F344, 0xBD00FF, 0x00B4FF, 0xDD00BA, 0x00FFFF, 0x26C000,
                                          0x01FFB3, 0x7D24FF, 0x7B0068, 0xFF1B6C, 0xFC6D2F, 0xA2FF0B};
  uint32_t c = kPalette[size_t(((cls % 20) + 20) % 20)];
  return rgb255(int(c >> 16), int((c >> 8) & 0xff), int(c & 0xff));
}

Rgb blues(double t) {
  // Control points of matplotlib's Blues (ColorBrewer), linearly interpolated.
  static constexpr double kStops[9][3] = {{247, 251, 255}, {222, 235, 247}, {198, 219, 239}, {158, 202, 225},
                                          {107, 174, 214}, {66, 146, 198},  {33, 113, 181},  {8, 81, 156},
                                          {8, 48, 107}};
  t = std::clamp(std::isnan(t) ? 0.0 : t, 0.0, 1.0) * 8.0;
  int i = std::min(int(t), 7);
  double f = t - i;
  auto mix = [&](int k) { return (kStops[i][k] * (1 - f) + kStops[i + 1][k] * f) / 255.0; };
  return {mix(0), mix(1), mix(2)};
}

Canvas::Canvas(int width, int height, Rgb bg) : width_(width), height_(height) {
  YE_CHECK(width > 0 && height > 0 && width <= 16384 && height <= 16384, "plot canvas size ", width, "x", height, " is invalid");
  surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cr_ = cairo_create(surface_);
  cairo_set_source_rgb(cr_, bg.r, bg.g, bg.b);
  cairo_paint(cr_);
  cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, double width, bool dotted) {
  polyline({x0, x1}, {y0, y1}, c, width, dotted);
}

void Canvas::polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb c, double width, bool dotted) {
  if (xs.size() < 2) return;
  cairo_save(cr_);
  cairo_set_source_rgb(cr_, c.r, c.g, c.b);
  cairo_set_line_width(cr_, width);
  cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
  if (dotted) {
    double dash[] = {width, width * 1.65};
    cairo_set_dash(cr_, dash, 2, 0);
    cairo_set_line_cap(cr_, CAIRO_LINE_CAP_ROUND);
  }
  bool pen = false;
  for (size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
      pen = false;
      continue;
    }
    if (pen) cairo_line_to(cr_, xs[i], ys[i]);
    else cairo_move_to(cr_, xs[i], ys[i]);
    pen = true;
  }
  cairo_stroke(cr_);
  cairo_restore(cr_);
}

void Canvas::dots(const std::vector<double>& xs, const std::vector<double>& ys, Rgb c, double radius) {
  cairo_set_source_rgb(cr_, c.r, c.g, c.b);
  for (size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    cairo_new_sub_path(cr_);
    cairo_arc(cr_, xs[i], ys[i], radius, 0, 2 * M_PI);
  }
  cairo_fill(cr_);
}

void Canvas::rect(double x, double y, double w, double h, Rgb c, double line_width) {
  cairo_set_source_rgb(cr_, c.r, c.g, c.b);
  cairo_set_line_width(cr_, line_width);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_stroke(cr_);
}

void Canvas::fill_rect(double x, double y, double w, double h, Rgb c, double alpha) {
  cairo_set_source_rgba(cr_, c.r, c.g, c.b, alpha);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
}

double Canvas::text_width(const std::string& s, double size, bool bold) const {
  cairo_save(cr_);
  cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr_, s.c_str(), &e);
  cairo_restore(cr_);
  return e.x_advance;
}

void Canvas::text(double x, double y, const std::string& s, double size, Rgb c, Align h, Align v, double angle, bool bold) {
  cairo_save(cr_);
  cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
  cairo_font_extents_t fe;
  cairo_font_extents(cr_, &fe);
  cairo_text_extents_t te;
  cairo_text_extents(cr_, s.c_str(), &te);
  double dx = h == Align::start ? 0 : h == Align::center ? -te.x_advance / 2 : -te.x_advance;
  double dy = v == Align::start ? fe.ascent : v == Align::center ? (fe.ascent - fe.descent) / 2 : -fe.descent;
  cairo_translate(cr_, x, y);
  cairo_rotate(cr_, angle);
  cairo_move_to(cr_, dx, dy);
  cairo_set_source_rgb(cr_, c.r, c.g, c.b);
  cairo_show_text(cr_, s.c_str());
  cairo_restore(cr_);
}

void Canvas::image(const uint8_t* rgb, int img_w, int img_h, double x, double y, double w, double h) {
  if (img_w <= 0 || img_h <= 0) return;
  cairo_surface_t* src = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img_w, img_h);
  cairo_surface_flush(src);
  unsigned char* dst = cairo_image_surface_get_data(src);
  int stride = cairo_image_surface_get_stride(src);
  for (int r = 0; r < img_h; ++r) {
    auto* row = reinterpret_cast<uint32_t*>(dst + size_t(r) * size_t(stride));
    const uint8_t* s = rgb + size_t(r) * size_t(img_w) * 3;
    for (int c = 0; c < img_w; ++c) row[c] = uint32_t(s[3 * c]) << 16 | uint32_t(s[3 * c + 1]) << 8 | s[3 * c + 2];
  }
  cairo_surface_mark_dirty(src);
  cairo_save(cr_);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_clip(cr_);
  cairo_translate(cr_, x, y);
  cairo_scale(cr_, w / img_w, h / img_h);
  cairo_set_source_surface(cr_, src, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr_), CAIRO_FILTER_GOOD);
  cairo_paint(cr_);
  cairo_restore(cr_);
  cairo_surface_destroy(src);
}

std::vector<uint8_t> Canvas::rgb_pixels() const {
  cairo_surface_flush(surface_);
  const unsigned char* data = cairo_image_surface_get_data(surface_);
  int stride = cairo_image_surface_get_stride(surface_);
  std::vector<uint8_t> out(size_t(width_) * size_t(height_) * 3);
  for (int r = 0; r < height_; ++r) {
    auto* row = reinterpret_cast<const uint32_t*>(data + size_t(r) * size_t(stride));
    for (int c = 0; c < width_; ++c) {
      size_t o = (size_t(r) * size_t(width_) + size_t(c)) * 3;
      out[o] = uint8_t(row[c] >> 16), out[o + 1] = uint8_t(row[c] >> 8), out[o + 2] = uint8_t(row[c]);
    }
  }
  return out;
}

std::string Canvas::encode_png() const {
  std::string out;
  auto write = [](void* closure, const unsigned char* data, unsigned int len) -> cairo_status_t {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), len);
    return CAIRO_STATUS_SUCCESS;
  };
  cairo_surface_flush(surface_);
  cairo_status_t st = cairo_surface_write_to_png_stream(surface_, write, &out);
  YE_CHECK(st == CAIRO_STATUS_SUCCESS, "PNG encoding failed: ", cairo_status_to_string(st));
  return out;
}

std::string Canvas::encode_jpeg(int quality) const {
  std::vector<uint8_t> rgb = rgb_pixels();
  tjhandle tj = tjInitCompress();
  YE_CHECK(tj, "libturbojpeg: tjInitCompress failed");
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(tj, rgb.data(), width_, 0, height_, TJPF_RGB, &buf, &size, TJSAMP_420, quality, TJFLAG_FASTDCT);
  std::string out = rc == 0 ? std::string(reinterpret_cast<char*>(buf), size) : std::string();
  std::string err = rc == 0 ? "" : tjGetErrorStr2(tj);
  tjFree(buf);
  tjDestroy(tj);
  YE_CHECK(rc == 0, "JPEG encoding failed: ", err);
  return out;
}

void Canvas::save(const std::filesystem::path& path) const {
  std::string ext = path.extension().string();
  for (auto& ch : ext) ch = char(std::tolower((unsigned char)ch));
  if (ext == ".png") write_file_atomic(path, encode_png());
  else if (ext == ".jpg" || ext == ".jpeg") write_file_atomic(path, encode_jpeg());
  else YE_FAIL("plot file ", path.string(), " must end in .png or .jpg");
}

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
  if (!(hi > lo)) return {lo};
  double raw = (hi - lo) / std::max(max_ticks - 1, 1);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string tick_label(double v, double step) {
  int decimals = std::max(0, int(std::ceil(-std::log10(step) - 1e-9)));
  if (step >= 1 && std::abs(v) >= 1e5) return format("%.0e", v);
  return format("%.*f", decimals, v);
}

void autoscale(const std::vector<double>& v, double& lo, double& hi) {
  lo = INFINITY, hi = -INFINITY;
  for (double x : v)
    if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) {
    double pad = std::abs(lo) > 0 ? std::abs(lo) * 0.05 : 0.05;
    lo -= pad, hi += pad;
    return;
  }
  double m = (hi - lo) * 0.05;
  lo -= m, hi += m;
}

void Axes::draw(Canvas& c, const std::string& title, const std::string& xlabel, const std::string& ylabel,
                double font) const {
  double lw = std::max(1.0, font / 12.0);
  c.rect(x, y, w, h, kBlack, lw);
  double tick = font * 0.35;
  auto xt = nice_ticks(xmin, xmax), yt = nice_ticks(ymin, ymax);
  double xs = xt.size() > 1 ? xt[1] - xt[0] : 1, ys = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : xt) {
    if (v < xmin - 1e-12 || v > xmax + 1e-12) continue;
    c.line(px(v), y + h, px(v), y + h + tick, kBlack, lw);
    if (x_tick_labels) c.text(px(v), y + h + tick * 1.5, tick_label(v, xs), font * 0.85, kBlack, Align::center, Align::start);
  }
  for (double v : yt) {
    if (v < ymin - 1e-12 || v > ymax + 1e-12) continue;
    c.line(x - tick, py(v), x, py(v), kBlack, lw);
    if (y_tick_labels) c.text(x - tick * 1.5, py(v), tick_label(v, ys), font * 0.85, kBlack, Align::end, Align::center);
  }
  if (!title.empty()) c.text(x + w / 2, y - font * 0.5, title, font, kBlack, Align::center, Align::end);
  if (!xlabel.empty()) c.text(x + w / 2, y + h + tick * 2 + font * 1.1, xlabel, font, kBlack, Align::center, Align::start);
  if (!ylabel.empty()) c.text(x - font * 3.6, y + h / 2, ylabel, font, kBlack, Align::center, Align::end, -M_PI / 2);
}

void Axes::clip(Canvas& c) const {
  cairo_save(c.cr());
  cairo_rectangle(c.cr(), x, y, w, h);
  cairo_clip(c.cr());
}

void Axes::unclip(Canvas& c) { cairo_restore(c.cr()); }

}  // namespace ye::yolo::plot
