// YOLO txt label parsing with the reference's checks, per line: `class xc yc w h` normalised, or a
// polygon `class x1 y1 x2 y2 ...` (more than 5 values) turned into its bounding box. Defines Box,
// LabelParse and parse_label_text.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ye::data {

// One object: class and normalised centre/size (relative to the image it belongs to).
struct Box {
  int cls = 0;
  float xc = 0, yc = 0, w = 0, h = 0;
  bool operator==(const Box&) const = default;
};

struct LabelParse {
  std::vector<Box> boxes;
  int lines_dropped = 0;              // lines that did not become a box
  std::vector<std::string> problems;  // one reason per distinct problem, with the line numbers
};

// Checks: numbers only; class integral and in [0, nc); coordinates within [-0.01, 1.01] (the
// reference's tolerance), then clipped to [0, 1]; zero-size boxes and exact duplicate lines dropped.
// CRLF, a UTF-8 BOM, tabs, trailing spaces and blank lines are accepted.
LabelParse parse_label_text(std::string_view text, int nc);

}  // namespace ye::data
