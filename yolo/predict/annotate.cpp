// save_annotated (see annotate.h), drawn with the cairo canvas of yolo/run.
#include "yolo/predict/annotate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "yolo/run/canvas.h"

namespace ye::yolo {

void save_annotated(const data::Image& img, const ImagePrediction& p, const std::vector<std::string>& names,
                    const std::filesystem::path& out) {
  plot::Canvas c(img.w, img.h);
  c.image(img.px.data(), img.w, img.h, 0, 0, img.w, img.h);
  const double lw = std::max(std::round(double(img.h + img.w + 3) / 2 * 0.003), 2.0);
  const double font = 7.5 * lw;  // about the height of cv2's HERSHEY text at fontScale lw / 3
  for (size_t i = 0; i < p.size(); ++i) {
    const float* b = &p.boxes[4 * i];
    const plot::Rgb color = plot::class_color(p.cls[i]);
    c.rect(b[0], b[1], b[2] - b[0], b[3] - b[1], color, lw);
    const size_t k = size_t(p.cls[i]);
    char conf[32];
    std::snprintf(conf, sizeof(conf), " %.2f", double(p.conf[i]));
    const std::string label = (k < names.size() ? names[k] : std::to_string(p.cls[i])) + conf;
    const double tw = c.text_width(label, font) + lw, th = font * 1.3;
    const bool outside = b[1] >= th + 3;
    const double y0 = outside ? b[1] - th : b[1];
    c.fill_rect(b[0], y0, tw, th, color);
    c.text(b[0] + lw / 2, y0 + th / 2, label, font, plot::kWhite, plot::Align::start, plot::Align::center);
  }
  c.save(out);
}

}  // namespace ye::yolo
