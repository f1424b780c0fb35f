// Internal drawing layer of the run plots: a cairo image surface with the few primitives the
// plots need (lines, rectangles, text, RGB images), matplotlib-like axes with nice ticks, the
// reference's 20-colour class palette, and PNG (cairo) / JPEG (libturbojpeg) encoding.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

typedef struct _cairo cairo_t;
typedef struct _cairo_surface cairo_surface_t;

namespace ye::yolo::plot {

struct Rgb {
  double r = 0, g = 0, b = 0;  // 0..1
};
Rgb rgb255(int r, int g, int b);
Rgb class_color(int64_t cls);             // the reference's 20-colour palette, cycled
Rgb blues(double t);                      // matplotlib "Blues" colormap, t in [0, 1]
inline const Rgb kBlack{0, 0, 0}, kWhite{1, 1, 1}, kGrey{0.5, 0.5, 0.5}, kTabBlue{0.122, 0.467, 0.706};

enum class Align { start, center, end };

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = kWhite);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }
  cairo_t* cr() const { return cr_; }

  void line(double x0, double y0, double x1, double y1, Rgb c, double width, bool dotted = false);
  void polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb c, double width, bool dotted = false);
  void dots(const std::vector<double>& xs, const std::vector<double>& ys, Rgb c, double radius);
  void rect(double x, double y, double w, double h, Rgb c, double line_width);
  void fill_rect(double x, double y, double w, double h, Rgb c, double alpha = 1.0);
  // Text anchored at (x, y): h/v alignment relative to the text box, rotated by angle (radians).
  void text(double x, double y, const std::string& s, double size, Rgb c, Align h = Align::start,
            Align v = Align::start, double angle = 0, bool bold = false);
  double text_width(const std::string& s, double size, bool bold = false) const;
  // Draws an RGB (HWC uint8) image scaled into the rectangle (x, y, w, h) with a smooth filter.
  void image(const uint8_t* rgb, int img_w, int img_h, double x, double y, double w, double h);

  std::string encode_png() const;
  std::string encode_jpeg(int quality = 95) const;
  std::vector<uint8_t> rgb_pixels() const;  // HWC uint8
  void save(const std::filesystem::path& path) const;  // .png or .jpg/.jpeg, written atomically

 private:
  int width_, height_;
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

// A plotting area in canvas pixels with data limits; y grows upwards like matplotlib.
struct Axes {
  double x = 0, y = 0, w = 0, h = 0;
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  bool x_tick_labels = true, y_tick_labels = true;
  double px(double v) const { return x + (v - xmin) / (xmax - xmin) * w; }
  double py(double v) const { return y + h - (v - ymin) / (ymax - ymin) * h; }
  // Frame, ticks with labels, optional title / axis labels (font size in pixels).
  void draw(Canvas& c, const std::string& title, const std::string& xlabel, const std::string& ylabel,
            double font) const;
  // Clips drawing to the axes area until the returned guard's cairo_restore (call unclip).
  void clip(Canvas& c) const;
  static void unclip(Canvas& c);
};

std::vector<double> nice_ticks(double lo, double hi, int max_ticks = 6);
std::string tick_label(double v, double step);
// Data limits with 5% margins like matplotlib's autoscale; a flat range is widened.
void autoscale(const std::vector<double>& v, double& lo, double& hi);

}  // namespace ye::yolo::plot
