// results.csv writer and reader; see results_csv.h. Formatting reproduces the reference's
// ("%.6g," * n).rstrip(",") with losses passed through round(x, 5) first.
#include "yolo/run/results_csv.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "kernels/error.h"
#include "yolo/config/py_format.h"
#include "yolo/run/atomic_file.h"

namespace ye::yolo {

const std::vector<std::string>& results_csv_columns() {
  static const std::vector<std::string> cols = {
      "epoch", "time", "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)",
      "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss",
      "val/dfl_loss", "lr/pg0", "lr/pg1", "lr/pg2", "perf/images_per_s", "perf/gpu_mem_GB",
      "train/skipped_steps"};
  return cols;
}

std::string results_csv_header() {
  std::string s;
  for (const auto& c : results_csv_columns()) {
    if (!s.empty()) s += ',';
    s += c;
  }
  return s;
}

std::string format_results_row(const ResultsRow& r) {
  std::vector<double> v = {double(r.epoch), r.time};
  for (double x : r.train_loss) v.push_back(py_round(x, 5));
  for (double x : {r.precision, r.recall, r.map50, r.map50_95}) v.push_back(x);
  for (double x : r.val_loss) v.push_back(py_round(x, 5));
  for (double x : r.lr) v.push_back(x);
  for (double x : {r.images_per_s, r.gpu_mem_gb, double(r.skipped_steps)}) v.push_back(x);
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += format("%.6g", v[i]);
  }
  return s;
}

void append_results_row(const std::filesystem::path& path, const ResultsRow& row) {
  std::string text = std::filesystem::exists(path) ? read_file(path) : results_csv_header() + "\n";
  // Rows of this epoch or later (a run resumed from a checkpoint older than its last row, e.g. killed
  // while the checkpoint was being written) are replaced by the rerun's rows.
  std::istringstream in(text);
  std::string line, kept;
  for (bool header = true; std::getline(in, line); header = false) {
    const long epoch = header ? 0 : std::strtol(line.c_str(), nullptr, 10);
    if (header || epoch < row.epoch) kept += line + "\n";
  }
  write_file_atomic(path, kept + format_results_row(row) + "\n");
}

namespace {
std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}
std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(trim(cell));
  return out;
}
}  // namespace

ResultsTable parse_results_csv(const std::string& text) {
  ResultsTable t;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return t;
  t.columns = split(line);
  while (std::getline(in, line)) {
    if (trim(line).empty()) continue;
    std::vector<double> row;
    for (const auto& cell : split(line)) {
      char* end = nullptr;
      double v = std::strtod(cell.c_str(), &end);
      row.push_back(cell.empty() || *end ? std::nan("") : v);
    }
    row.resize(t.columns.size(), std::nan(""));
    t.rows.push_back(std::move(row));
  }
  return t;
}

ResultsTable read_results_csv(const std::filesystem::path& path) { return parse_results_csv(read_file(path)); }

bool ResultsTable::has(const std::string& name) const {
  for (const auto& c : columns)
    if (c == name) return true;
  return false;
}

std::vector<double> ResultsTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] != name) continue;
    std::vector<double> v;
    for (const auto& r : rows) v.push_back(r[i]);
    return v;
  }
  throw Error("results.csv has no column '" + name + "'");
}

}  // namespace ye::yolo
