// results.csv of a training run: the reference's 15 detect columns in order, then the engine's
// own trailing columns; one row per epoch, values "%.6g" with losses rounded to 5 decimals.
//   ResultsRow r{...}; append_results_row(run.file("results.csv"), r);   // atomic rewrite
//   ResultsTable t = read_results_csv(path);  t.column("metrics/mAP50(B)")  // resume, plots
#pragma once
#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace ye::yolo {

struct ResultsRow {
  long epoch = 0;          // 1-based
  double time = 0;         // seconds since training start, cumulative
  std::array<double, 3> train_loss{};  // box, cls, dfl (running means of the epoch)
  double precision = 0, recall = 0, map50 = 0, map50_95 = 0;
  std::array<double, 3> val_loss{};    // box, cls, dfl
  std::array<double, 3> lr{};          // pg0 (bias), pg1 (decayed weights), pg2 (BN weights)
  double images_per_s = 0;             // engine columns
  double gpu_mem_gb = 0;
  long skipped_steps = 0;              // optimizer steps skipped by the fp16 loss scaler
};

// Header names in file order (reference columns first).
const std::vector<std::string>& results_csv_columns();
inline constexpr size_t kReferenceResultsColumns = 15;

std::string results_csv_header();                  // "epoch,time,...,train/skipped_steps"
std::string format_results_row(const ResultsRow& row);  // one line without '\n'

// Appends a row (writing the header first if the file is new) by rewriting the file atomically; rows of
// the same or a later epoch already there (a resumed run repeating epochs) are dropped first.
void append_results_row(const std::filesystem::path& path, const ResultsRow& row);

// A parsed results.csv (ours or the reference's): column names and numeric rows. Cells that are
// not numbers read as NaN; names and cells are trimmed.
struct ResultsTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  bool has(const std::string& name) const;
  std::vector<double> column(const std::string& name) const;  // throws ye::Error if absent
};
ResultsTable read_results_csv(const std::filesystem::path& path);
ResultsTable parse_results_csv(const std::string& text);

}  // namespace ye::yolo
