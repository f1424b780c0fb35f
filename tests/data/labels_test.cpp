// Label parsing edge cases: each check of the reference, CRLF line ends, trailing spaces, blank lines,
// polygons, duplicates, out-of-range values and malformed lines.
#include <doctest/doctest.h>

#include "data/labels.h"

using ye::data::parse_label_text;

TEST_CASE("labels: plain lines, CRLF, trailing spaces, blank lines") {
  auto r = parse_label_text("0 0.5 0.5 0.2 0.4\r\n\r\n  1 0.25 0.75 0.1 0.1   \n\n\t\n2\t0.5\t0.5\t1\t1", 3);
  REQUIRE(r.boxes.size() == 3);
  CHECK(r.lines_dropped == 0);
  CHECK(r.problems.empty());
  CHECK(r.boxes[0].cls == 0);
  CHECK(r.boxes[0].xc == doctest::Approx(0.5));
  CHECK(r.boxes[0].h == doctest::Approx(0.4));
  CHECK(r.boxes[1].cls == 1);
  CHECK(r.boxes[1].xc == doctest::Approx(0.25));
  CHECK(r.boxes[2].w == doctest::Approx(1.0));
}

TEST_CASE("labels: empty text is a background") {
  CHECK(parse_label_text("", 80).boxes.empty());
  CHECK(parse_label_text("\n \r\n", 80).boxes.empty());
  CHECK(parse_label_text("\n \r\n", 80).lines_dropped == 0);
}

TEST_CASE("labels: polygon lines become their bounding box") {
  auto r = parse_label_text("3 0.1 0.2 0.5 0.1 0.4 0.6 0.2 0.5\n", 5);
  REQUIRE(r.boxes.size() == 1);
  CHECK(r.boxes[0].cls == 3);
  CHECK(r.boxes[0].xc == doctest::Approx(0.3));
  CHECK(r.boxes[0].yc == doctest::Approx(0.35));
  CHECK(r.boxes[0].w == doctest::Approx(0.4));
  CHECK(r.boxes[0].h == doctest::Approx(0.5));
  auto odd = parse_label_text("3 0.1 0.2 0.5 0.1 0.4\n", 5);  // 6 values: odd coordinate count
  CHECK(odd.boxes.empty());
  CHECK(odd.lines_dropped == 1);
}

TEST_CASE("labels: each bad case is dropped with a reason and line number") {
  const char* text =
      "0 0.5 0.5 0.2 0.2\n"   // 1 ok
      "0 0.5 0.5 0.2 0.2\n"   // 2 exact duplicate
      "5 0.5 0.5 0.2 0.2\n"   // 3 class >= nc
      "-1 0.5 0.5 0.2 0.2\n"  // 4 negative class
      "1 1.2 0.5 0.2 0.2\n"   // 5 coordinate > 1.01
      "1 0.5 0.5 0 0.2\n"     // 6 zero width
      "1 abc 0.5 0.2 0.2\n"   // 7 not a number
      "1 0.5 0.5 0.2\n"       // 8 too few values
      "1.5 0.5 0.5 0.2 0.2\n" // 9 non-integer class
      "1 -0.02 0.5 0.2 0.2\n";// 10 below -0.01
  auto r = parse_label_text(text, 5);
  CHECK(r.boxes.size() == 1);
  CHECK(r.lines_dropped == 9);
  std::string all;
  for (auto& p : r.problems) all += p + "\n";
  CHECK(all.find("duplicate row (line 2)") != std::string::npos);
  CHECK(all.find("class outside [0, 5) (lines 3, 4)") != std::string::npos);
  CHECK(all.find("coordinates outside") != std::string::npos);
  CHECK(all.find("zero-size box (line 6)") != std::string::npos);
  CHECK(all.find("not a number (line 7)") != std::string::npos);
  CHECK(all.find("fewer than 5 values (line 8)") != std::string::npos);
  CHECK(all.find("class is not an integer (line 9)") != std::string::npos);
}

TEST_CASE("labels: coordinates within the 1.01 tolerance are clipped to the image") {
  auto r = parse_label_text("0 0.98 0.5 0.06 0.2\n", 1);  // x2 = 1.01
  REQUIRE(r.boxes.size() == 1);
  CHECK(r.boxes[0].xc + r.boxes[0].w / 2 == doctest::Approx(1.0));
  CHECK(r.boxes[0].xc - r.boxes[0].w / 2 == doctest::Approx(0.95));
  auto edge = parse_label_text("0 1.005 0.5 0.0 0.2\n", 1);
  CHECK(edge.boxes.empty());
}
