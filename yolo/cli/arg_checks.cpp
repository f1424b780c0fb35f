// finite_range (see arg_checks.h): parses the option's text as a double and names the allowed range.
#include "yolo/cli/arg_checks.h"

#include <cmath>
#include <string>

namespace ye::cli {

CLI::Validator finite_range(double lo, double hi) {
  const std::string range = "[" + CLI::detail::to_string(lo) + " - " + CLI::detail::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v) || v < lo || v > hi)
          return "Value " + text + " is not a finite number in " + range;
        return "";
      },
      "FLOAT in " + range);
}

}  // namespace ye::cli
