// CUDA twin of kernels/nms.h: batched NMS of Detect eval outputs with the same detections, order and
// ties as ye::kernels::cpu::nms_detect. All images at once, no host synchronisation: candidates are
// emitted with per-image atomics, sorted per image by (score desc, emission index asc) with cub, then
// one block per image runs greedy suppression tile by tile against the kept list (IoU bitmask per tile).
#pragma once
#include <cuda_runtime.h>

#include "kernels/nms.h"

namespace ye::kernels::cuda {

// Device workspace bytes for nms_detect with this shape and config (host-only, no device work).
// Worst case: 2 x 8 bytes per possible candidate, B * A * (multi_label && nc > 1 ? nc : 1), plus cub's.
size_t nms_workspace_bytes(const NmsShape& shape, const NmsConfig& cfg);

// preds: device (B, 4+nc, A) or (B, A, 4+nc), f32/f16/bf16. out: device (B, max_det, 6); rows at or
// past counts[b] are left untouched. counts: device (B). anchor_idx: device (B, max_det) or null.
// workspace: device, at least nms_workspace_bytes(shape, cfg), 256-byte aligned.
void nms_detect(const void* preds, DType dtype, const NmsShape& shape, const NmsConfig& cfg, void* workspace,
                size_t workspace_bytes, float* out, int32_t* counts, int32_t* anchor_idx, cudaStream_t stream);

}  // namespace ye::kernels::cuda
