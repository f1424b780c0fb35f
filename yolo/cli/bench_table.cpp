// Markdown table and merged JSON of a `yolo bench` run (yolo/cli/bench_table.h).
#include "yolo/cli/bench_table.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ye::cli {
namespace {

nlohmann::json parse_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return nlohmann::json::parse(text, nullptr, false);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Three significant digits, no exponent for the magnitudes a benchmark table shows.
std::string sig3(double v) {
  const double a = v < 0 ? -v : v;
  return fixed(v, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

std::string time_text(double t, const std::string& unit) {
  double us = t;
  if (unit == "ns") us = t / 1e3;
  if (unit == "ms") us = t * 1e3;
  if (unit == "s") us = t * 1e6;
  return us >= 1000 ? sig3(us / 1000) + " ms" : sig3(us) + " us";
}

std::string ceilings_line(const nlohmann::json& c) {
  if (!c.is_object()) return "ceilings: not measured";
  std::ostringstream s;
  if (!c.value("gpu_name", std::string()).empty())
    s << "GPU ceilings: copy " << sig3(c.value("gpu_copy_gbs", 0.0)) << " GB/s, GEMM f16 "
      << sig3(c.value("gpu_f16_tflops", 0.0)) << " / f32 " << sig3(c.value("gpu_f32_tflops", 0.0)) << " / TF32 "
      << sig3(c.value("gpu_tf32_tflops", 0.0)) << " TFLOP/s; ";
  s << "CPU ceilings: memcpy " << sig3(c.value("cpu_copy_gbs", 0.0)) << " GB/s (one thread), Eigen GEMM f32 "
    << sig3(1000 * c.value("cpu_f32_tflops", 0.0)) << " GFLOP/s";
  return s.str();
}

}  // namespace

std::string bench_markdown(const std::vector<BenchOutput>& outputs, const std::string& ceilings_json,
                           const std::string& command, BenchSummary& summary) {
  const nlohmann::json ceilings = parse_or_null(ceilings_json);
  std::string date, host;
  for (const BenchOutput& o : outputs) {
    const nlohmann::json j = parse_or_null(o.json_text);
    if (j.is_object() && j.contains("context") && date.empty()) {
      date = j["context"].value("date", std::string());
      host = j["context"].value("host_name", std::string());
    }
  }
  std::ostringstream md;
  const std::string card = ceilings.is_object() ? ceilings.value("gpu_name", std::string()) : std::string();
  md << "## Microbenchmarks: " << (card.empty() ? "no CUDA device" : card) << ", " << date << "\n\n";
  md << "Host " << host << ". Command: `" << command << "`.\n" << ceilings_line(ceilings) << ".\n\n";
  md << "| binary | row | time | achieved | % of ceiling | note |\n|---|---|---|---|---|---|\n";
  for (const BenchOutput& o : outputs) {
    const nlohmann::json j = parse_or_null(o.json_text);
    if (!j.is_object() || !j.contains("benchmarks")) {
      if (o.exit_code != 0) {
        ++summary.errors;
        summary.error_lines.push_back(o.binary + ": exit status " + std::to_string(o.exit_code) + ", no results");
        md << "| " << o.binary << " | (no results) | | | | exit status " << o.exit_code << " |\n";
      }
      continue;
    }
    const int errors_before = summary.errors;
    for (const nlohmann::json& b : j["benchmarks"]) {
      if (b.value("run_type", std::string("iteration")) != "iteration") continue;
      std::string name = b.value("name", std::string());
      if (const size_t cut = name.rfind("/manual_time"); cut != std::string::npos) name.erase(cut);
      ++summary.rows;
      if (b.value("error_occurred", false)) {
        const std::string msg = b.value("error_message", std::string());
        if (msg.rfind("unsupported", 0) == 0) {  // the alternative does not exist for this case
          md << "| " << o.binary << " | " << name << " | | | | " << msg << " |\n";
          continue;
        }
        ++summary.errors;
        summary.error_lines.push_back(o.binary + " " + name + ": " + msg);
        md << "| " << o.binary << " | " << name << " | | | | ERROR: " << msg << " |\n";
        continue;
      }
      std::string achieved, pct;
      if (b.contains("GB/s")) achieved = sig3(b["GB/s"].get<double>()) + " GB/s";
      if (b.contains("TFLOP/s")) achieved = sig3(b["TFLOP/s"].get<double>()) + " TFLOP/s";
      if (b.contains("pct_ceiling")) pct = fixed(b["pct_ceiling"].get<double>(), 1) + "%";
      md << "| " << o.binary << " | " << name << " | "
         << time_text(b.value("real_time", 0.0), b.value("time_unit", std::string("ns"))) << " | " << achieved
         << " | " << pct << " | " << b.value("label", std::string()) << " |\n";
    }
    if (o.exit_code != 0 && summary.errors == errors_before) {
      ++summary.errors;
      summary.error_lines.push_back(o.binary + ": exit status " + std::to_string(o.exit_code));
    }
  }
  return md.str();
}

std::string bench_merged_json(const std::vector<BenchOutput>& outputs, const std::string& ceilings_json) {
  nlohmann::json merged = {{"ceilings", parse_or_null(ceilings_json)}, {"binaries", nlohmann::json::object()}};
  for (const BenchOutput& o : outputs) merged["binaries"][o.binary] = parse_or_null(o.json_text);
  return merged.dump(1);
}

}  // namespace ye::cli
