// The report of `yolo bench`: merges the Google Benchmark JSON files of one run (one per bench_* binary)
// into one markdown table (card, date, ceilings, then one line per row: time, achieved GB/s or TFLOP/s,
// percent of the measured ceiling) and one merged JSON document.
#pragma once
#include <string>
#include <vector>

namespace ye::cli {

struct BenchOutput {
  std::string binary;     // "bench_conv"
  std::string json_text;  // its --benchmark_out file ("" when it wrote none)
  int exit_code = 0;
};

struct BenchSummary {
  int rows = 0;
  int errors = 0;  // rows that reported an error (a failed correctness check); "unsupported: ..." is not one
  std::vector<std::string> error_lines;
};

// Markdown of the whole run; `command` is printed as the run's command line.
std::string bench_markdown(const std::vector<BenchOutput>& outputs, const std::string& ceilings_json,
                           const std::string& command, BenchSummary& summary);
// {"ceilings": {...}, "binaries": {"bench_conv": <its JSON>, ...}}
std::string bench_merged_json(const std::vector<BenchOutput>& outputs, const std::string& ceilings_json);

}  // namespace ye::cli
