// Detection confusion matrix of the reference (ConfusionMatrix.process_batch and the values its plot
// shows): (nc+1) x (nc+1), rows = predicted class + background, columns = true class + background;
// detections kept at conf > 0.25 (also when the val default 0.001 is passed), matched at IoU > 0.45.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace ye::yolo {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int nc = 0);

  // One image: predictions (xyxy rows, conf, cls) and GT (xyxy rows, cls), in the same pixel space.
  // conf < 0 means "None"; conf equal to 0.001 (the val default) or None becomes 0.25.
  void process_batch(std::span<const float> pred_boxes, std::span<const float> pred_conf,
                     std::span<const int32_t> pred_cls, std::span<const float> gt_boxes,
                     std::span<const int32_t> gt_cls, double conf = 0.25, float iou_thres = 0.45f);

  int nc() const { return nc_; }
  int size() const { return nc_ + 1; }
  double at(int pred_row, int true_col) const { return m_[size_t(pred_row) * size_t(size()) + size_t(true_col)]; }
  const std::vector<double>& values() const { return m_; }  // row-major (nc+1, nc+1) counts

  // Values as the plot shows them, row-major: normalize -> each column divided by (its sum + 1e-9);
  // cells < 0.005 are NaN (left blank by the plot).
  std::vector<double> plotted(bool normalize) const;

  // Diagonal (true positives) and row sums minus diagonal (false positives), background excluded.
  std::vector<double> tp() const;
  std::vector<double> fp() const;

 private:
  int nc_;
  std::vector<double> m_;
};

}  // namespace ye::yolo
