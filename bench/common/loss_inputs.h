// Inputs of the assigner + loss family: a detection-loss case at 640x640 (8400 anchors, 80 classes, the
// Detect head of YOLOv8/YOLO11 n and s alike) with about 8 boxes per image and one image in 32 holding
// 100 (tests/loss/loss_golden.h builds the logits, anchors and targets).
#pragma once
#include <vector>

#include "tests/loss/loss_golden.h"

namespace ye::bench {

inline ye::test::loss::LossCase loss_case(int batch) {
  std::vector<int> counts(static_cast<size_t>(batch));
  for (int b = 0; b < batch; ++b) counts[size_t(b)] = b % 32 == 0 ? 100 : int((3 + 7919u * unsigned(b)) % 11u);
  return ye::test::loss::random_case(42, batch, 640, 640, 80, 100, &counts);
}

// Bytes that must move at least once: the logits read and their gradients written.
inline double loss_bytes(const ye::test::loss::LossCase& c, size_t element) {
  return 2.0 * double(c.distri.size() + c.scores.size()) * double(element);
}

}  // namespace ye::bench
