// Bad-input matrix, label files: too few or too many fields, non-numbers, NaN/inf, negative or >1
// coordinates, class ids >= nc or negative, CRLF and a UTF-8 BOM. Each bad line is dropped with a
// reason and its line number; the dataset scan names the label file and keeps the image.
#include <filesystem>

#include "data/dataset.h"
#include "data/image_write.h"
#include "data/labels.h"
#include "robustness/robust_util.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
// The single problem text of a one-line label file, "" when the line became a box.
std::string problem_of(const std::string& line, int nc = 3) {
  data::LabelParse p = data::parse_label_text(line, nc);
  if (p.problems.empty()) return "";
  return p.problems.front();
}
}  // namespace

TEST_CASE("label lines that cannot be a box are dropped with the reason and the line number") {
  struct Case { const char* line; const char* reason; };
  const Case cases[] = {
      {"0 0.5 0.5 0.2", "fewer than 5 values"},
      {"0", "fewer than 5 values"},
      {"0 0.5 0.5 0.2 0.2 0.3", "polygon with an odd number of coordinates"},
      {"zero 0.5 0.5 0.2 0.2", "not a number"},
      {"0 0.5 0.5 0.2 0.2x", "not a number"},
      {"0 nan 0.5 0.2 0.2", "not a number"},
      {"0 0.5 inf 0.2 0.2", "not a number"},
      {"0 0.5 0.5 -inf 0.2", "not a number"},
      {"0 -0.5 0.5 0.2 0.2", "coordinates outside"},
      {"0 0.5 0.5 1.7 0.2", "coordinates outside"},
      {"0 12 40 100 80", "coordinates outside"},
      {"3 0.5 0.5 0.2 0.2", "class outside [0, 3)"},
      {"-1 0.5 0.5 0.2 0.2", "class outside [0, 3)"},
      {"1e30 0.5 0.5 0.2 0.2", "class outside [0, 3)"},
      {"1.5 0.5 0.5 0.2 0.2", "class is not an integer"},
      {"0 0.5 0.5 0 0.2", "zero-size box"},
  };
  for (const Case& c : cases) {
    INFO(c.line);
    std::string p = problem_of(c.line);
    CHECK(robust::contains(p, c.reason));
    CHECK(robust::contains(p, "(line 1)"));
    CHECK(data::parse_label_text(c.line, 3).boxes.empty());
  }
}

TEST_CASE("CRLF line ends, a UTF-8 BOM, tabs and blank lines still give every box") {
  const std::string body = "0 0.5 0.5 0.2 0.2\r\n\r\n1\t0.25 0.25 0.1 0.1 \r\n";
  for (const std::string& text : {body, "\xEF\xBB\xBF" + body}) {
    data::LabelParse p = data::parse_label_text(text, 3);
    INFO(text);
    CHECK(p.problems.empty());
    REQUIRE(p.boxes.size() == 2);
    CHECK(p.boxes[0].cls == 0);
    CHECK(p.boxes[1].cls == 1);
    CHECK(p.boxes[1].w == doctest::Approx(0.1f));
  }
}

TEST_CASE("line numbers of the dropped lines are counted from the top, good lines kept") {
  data::LabelParse p = data::parse_label_text("0 0.5 0.5 0.2 0.2\nbad\n1 0.5 0.5 0.2 0.2\n0 2 2 2 2\n", 3);
  CHECK(p.boxes.size() == 2);
  CHECK(p.lines_dropped == 2);
  REQUIRE(p.problems.size() == 2);
  CHECK(robust::contains(p.problems[0] + p.problems[1], "(line 2)"));
  CHECK(robust::contains(p.problems[0] + p.problems[1], "(line 4)"));
}

TEST_CASE("a dataset scan names the label file of bad lines and keeps the image") {
  fs::path d = robust::scratch("label_scan");
  data::Image img(32, 32, 90);
  fs::create_directories(d / "images");
  data::write_jpeg(img, (d / "images/a.jpg").string());
  robust::write_file(d / "labels/a.txt", "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n0 nan 1 1 1\n");
  std::vector<std::string> msgs;
  data::DatasetOptions opt;
  opt.label_cache = false;
  opt.log = [&](const std::string& m) { msgs.push_back(m); };
  data::Dataset ds = data::Dataset::from_files({(d / "images/a.jpg").string()}, 3, "train", opt);
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].boxes.size() == 1);
  CHECK(ds.summary().lines_dropped == 2);
  std::string all;
  for (const auto& m : ds.messages()) all += m + "\n";
  INFO(all);
  CHECK(robust::contains(all, (d / "labels/a.txt").string()));
  CHECK(robust::contains(all, "class outside [0, 3) (line 2)"));
  CHECK(robust::contains(all, "not a number (line 3)"));
  fs::remove_all(d);
}
