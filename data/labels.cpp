// Label text parsing (see labels.h): tokenises each line, validates it the way the reference does,
// converts polygons to boxes, clips, and drops zero-size and duplicate rows, collecting one message
// per kind of problem with the offending line numbers.
#include "data/labels.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

namespace ye::data {
namespace {

bool parse_float(std::string_view tok, float& out) {
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), out);
  return ec == std::errc() && p == tok.data() + tok.size() && std::isfinite(out);
}

std::vector<std::string_view> split_ws(std::string_view line) {
  std::vector<std::string_view> toks;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && !(line[j] == ' ' || line[j] == '\t' || line[j] == '\r')) ++j;
    if (j > i) toks.push_back(line.substr(i, j - i));
    i = j;
  }
  return toks;
}

}  // namespace

LabelParse parse_label_text(std::string_view text, int nc) {
  LabelParse out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  std::map<std::string, std::vector<int>> issues;  // reason -> line numbers (ordered for stable text)
  std::vector<std::vector<float>> seen_rows;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    auto toks = split_ws(line);
    if (toks.empty()) {
      if (end == text.size()) break;
      continue;
    }
    auto drop = [&](const std::string& why) {
      issues[why].push_back(line_no);
      ++out.lines_dropped;
    };
    std::vector<float> v(toks.size());
    bool numeric = true;
    for (size_t i = 0; i < toks.size(); ++i) numeric = numeric && parse_float(toks[i], v[i]);
    if (!numeric) { drop("not a number"); continue; }
    if (v.size() < 5) { drop("fewer than 5 values"); continue; }
    if (v.size() > 5 && (v.size() - 1) % 2 != 0) { drop("polygon with an odd number of coordinates"); continue; }
    if (v[0] != std::floor(v[0])) { drop("class is not an integer"); continue; }
    if (v[0] < 0 || v[0] >= float(nc)) { drop("class outside [0, " + std::to_string(nc) + ")"); continue; }
    bool in_range = std::all_of(v.begin() + 1, v.end(), [](float c) { return c >= -0.01f && c <= 1.01f; });
    if (!in_range) { drop("coordinates outside [0, 1.01] (non-normalised?)"); continue; }
    bool dup = std::find(seen_rows.begin(), seen_rows.end(), v) != seen_rows.end();
    if (dup) { drop("duplicate row"); continue; }
    seen_rows.push_back(v);
    float x1, y1, x2, y2;
    if (v.size() == 5) {
      x1 = v[1] - v[3] / 2, x2 = v[1] + v[3] / 2, y1 = v[2] - v[4] / 2, y2 = v[2] + v[4] / 2;
    } else {
      x1 = y1 = 1e9f, x2 = y2 = -1e9f;
      for (size_t i = 1; i + 1 < v.size(); i += 2) {
        x1 = std::min(x1, v[i]), x2 = std::max(x2, v[i]);
        y1 = std::min(y1, v[i + 1]), y2 = std::max(y2, v[i + 1]);
      }
    }
    x1 = std::clamp(x1, 0.f, 1.f), x2 = std::clamp(x2, 0.f, 1.f);
    y1 = std::clamp(y1, 0.f, 1.f), y2 = std::clamp(y2, 0.f, 1.f);
    if (!(x2 > x1) || !(y2 > y1)) { drop("zero-size box"); continue; }
    Box b;
    b.cls = int(v[0]);
    b.xc = (x1 + x2) / 2, b.yc = (y1 + y2) / 2, b.w = x2 - x1, b.h = y2 - y1;
    if (v.size() == 5 && x1 > 0 && y1 > 0 && x2 < 1 && y2 < 1) b.xc = v[1], b.yc = v[2], b.w = v[3], b.h = v[4];
    out.boxes.push_back(b);
  }
  for (auto& [why, lines] : issues) {
    std::ostringstream os;
    os << lines.size() << (lines.size() == 1 ? " line" : " lines") << " dropped: " << why << " (line";
    if (lines.size() > 1) os << "s";
    for (size_t i = 0; i < lines.size() && i < 5; ++i) os << (i ? ", " : " ") << lines[i];
    if (lines.size() > 5) os << ", ...";
    os << ")";
    out.problems.push_back(os.str());
  }
  return out;
}

}  // namespace ye::data
