// Option validators of the subcommands beyond CLI11's own: CLI::Range lets NaN through (every
// comparison with NaN is false), so thresholds use finite_range. Defines finite_range.
#pragma once
#include <CLI/CLI.hpp>

namespace ye::cli {

CLI::Validator finite_range(double lo, double hi);  // a finite number in [lo, hi]

}  // namespace ye::cli
