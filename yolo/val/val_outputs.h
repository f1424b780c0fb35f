// The end-of-validation plot files of the reference (8.1): confusion_matrix.png,
// confusion_matrix_normalized.png and the Box-prefixed curves BoxPR/BoxF1/BoxP/BoxR_curve.png, drawn
// from DetMetrics with yolo/run/plots.h. Defines write_val_plots.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "yolo/metrics/det_metrics.h"

namespace ye::yolo {

// Writes the 6 files into dir and appends their names to `files`.
void write_val_plots(const DetMetrics& m, const std::vector<std::string>& names, const std::filesystem::path& dir,
                     std::vector<std::string>& files);

}  // namespace ye::yolo
