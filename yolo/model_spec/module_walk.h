// Internal to yolo/model_spec: expands a resolved layer into the reference's leaf modules (with their
// state-dict prefixes, in registration order) and output sizes. State-dict names, parameter counts,
// layer counts and thop-style MACs are all derived from this one walk.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "yolo/model_spec/model_spec.h"

namespace ye::yolo::detail {

struct LeafOp {
  enum class Type : uint8_t { conv_bn, conv2d, upsample, concat, maxpool, matmul };
  Type type = Type::conv_bn;
  std::string prefix;            // "model.2.m.0.cv1." (conv_bn: + "conv."/"bn.", conv2d: + "weight")
  int c1 = 0, c2 = 0, k = 1, s = 1, g = 1;
  bool bias = false;             // conv2d only
  bool frozen = false;           // the DFL conv
  bool identity_act = false;     // conv_bn with act=False: an nn.Identity leaf of its own
  int64_t out_numel = 0;         // elements of the output (batch 1)
  int64_t matmul_macs = 0;       // matmul only
};

// Walks every layer with a batch-1 input of height x width; appends the leaves in state-dict order.
std::vector<LeafOp> walk_model(const ModelSpec& spec, int height, int width);
// The leaves of one layer only (sizes from a 256x256 input; only names and shapes are meaningful).
std::vector<LeafOp> walk_layer(const ModelSpec& spec, int layer);

}  // namespace ye::yolo::detail
