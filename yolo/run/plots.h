// The run's plot files, drawn with cairo from plain arrays (no Tensor type) at the reference's
// sizes (matplotlib figsize x dpi): results.png 2400x1200, confusion matrices 3000x2250, the Box*
// curves 2250x1500, labels.jpg and labels_correlogram.jpg 1600x1600, batch mosaics up to 1920 px.
// Every function writes its file atomically (.png via cairo, .jpg via libturbojpeg) and throws
// ye::Error on bad input (names the function and what is wrong).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "yolo/run/results_csv.h"

namespace ye::yolo {

// results.png: 2x5 grid (train box/cls/dfl, P, R / val box/cls/dfl, mAP50, mAP50-95) of value
// vs epoch with the Gaussian-smoothed (sigma 3) series as a dotted line.
void plot_results(const ResultsTable& table, const std::filesystem::path& out);

// scipy.ndimage.gaussian_filter1d(y, sigma) with mode "reflect" and truncate 4.0.
std::vector<double> gaussian_smooth(const std::vector<double>& y, double sigma);
// The reference's smooth(y, f): box filter of odd width round(len * f * 2) // 2 + 1, edge-padded.
std::vector<double> box_smooth(const std::vector<double>& y, double fraction);

// confusion_matrix.png / confusion_matrix_normalized.png. matrix is (nc+1) x (nc+1) row-major:
// rows = predicted class then background, columns = true class then background. normalize
// divides each column by its sum (+1e-9); cells below 0.005 stay blank. Annotated when nc < 30.
void plot_confusion_matrix(const std::vector<double>& matrix, const std::vector<std::string>& names, bool normalize,
                           const std::filesystem::path& out);

// BoxPR_curve.png: precision (per class, py[c][k]) vs recall px[k]; thin per-class lines with
// "name 0.123" legend entries (when < 21 classes), thick mean line "all classes 0.456 mAP@0.5".
void plot_pr_curve(const std::vector<double>& px, const std::vector<std::vector<double>>& py,
                   const std::vector<double>& ap50, const std::vector<std::string>& names,
                   const std::filesystem::path& out);
// BoxF1/BoxP/BoxR_curve.png: metric vs confidence per class; per-class lines,
// legend "all classes 0.61 at 0.337" (mean smoothed with box_smooth(0.1)). ylabel: "F1", "Precision" or "Recall".
void plot_metric_confidence_curve(const std::vector<double>& px, const std::vector<std::vector<double>>& py,
                                  const std::vector<std::string>& names, const std::string& ylabel,
                                  const std::filesystem::path& out);

// A label for labels.jpg / the correlogram: class and normalized xywh box.
struct LabelBox {
  int64_t cls = 0;
  float x = 0, y = 0, w = 0, h = 0;
};
// labels.jpg: class-instance histogram, 1000 boxes drawn centred, x-y and w-h 2-D histograms.
void plot_labels(const std::vector<LabelBox>& labels, const std::vector<std::string>& names,
                 const std::filesystem::path& out);
// labels_correlogram.jpg: 4x4 pair plot of x, y, width, height (histograms on the diagonal).
void plot_labels_correlogram(const std::vector<LabelBox>& labels, const std::filesystem::path& out);

// A box drawn on a batch mosaic: image index in the batch, class, xywh (normalized if all
// coordinates <= 1.1, else pixels of the input image) and confidence (< 0 for ground truth).
struct BatchBox {
  int64_t image = 0, cls = 0;
  float x = 0, y = 0, w = 0, h = 0;
  float conf = -1;
};
// train_batch{N}.jpg / val_batch{N}_labels.jpg / val_batch{N}_pred.jpg: mosaic of up to 16 images
// (column-major like the reference), downscaled so the mosaic is at most max_size px, white
// borders, boxes in class colours labelled "name" or "name 0.9" (predictions with conf > 0.25).
// images: n x h x w x 3 uint8 RGB (NHWC). paths (optional) prints file names in each tile.
void plot_batch(const uint8_t* images, int n, int h, int w, const std::vector<BatchBox>& boxes,
                const std::vector<std::string>& names, const std::filesystem::path& out,
                const std::vector<std::string>& paths = {}, int max_size = 1920, float conf_threshold = 0.25f);
// The mosaic's pixel size for a batch (what plot_batch writes): {width, height}.
std::pair<int, int> batch_mosaic_size(int n, int h, int w, int max_size = 1920);

}  // namespace ye::yolo
