// What a resolved spec implies: the reference's state_dict name table (names, OIHW shapes, order,
// parameter / buffer flags), parameter and gradient counts, leaf-module ("layers") counts, and the
// thop-style MACs / GFLOPs the reference prints (fused and unfused), all from the leaf walk.
#include <cmath>

#include "kernels/error.h"
#include "yolo/model_spec/model_spec.h"
#include "yolo/model_spec/module_walk.h"

namespace ye::yolo {
namespace {

using detail::LeafOp;

void append_entries(const LeafOp& op, std::vector<StateEntry>& out) {
  auto param = [&](std::string name, std::vector<int64_t> shape, bool trainable = true) {
    out.push_back({std::move(name), std::move(shape), true, trainable, false});
  };
  auto buffer = [&](std::string name, std::vector<int64_t> shape, bool integer) {
    out.push_back({std::move(name), std::move(shape), false, false, integer});
  };
  if (op.type == LeafOp::Type::conv_bn) {
    param(op.prefix + "conv.weight", {op.c2, op.c1 / op.g, op.k, op.k});
    param(op.prefix + "bn.weight", {op.c2});
    param(op.prefix + "bn.bias", {op.c2});
    buffer(op.prefix + "bn.running_mean", {op.c2}, false);
    buffer(op.prefix + "bn.running_var", {op.c2}, false);
    buffer(op.prefix + "bn.num_batches_tracked", {}, true);
  } else if (op.type == LeafOp::Type::conv2d) {
    param(op.prefix + "weight", {op.c2, op.c1, 1, 1}, !op.frozen);
    if (op.bias) param(op.prefix + "bias", {op.c2});
  }
}

}  // namespace

int64_t StateEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<StateEntry> state_dict_entries(const ModelSpec& spec) {
  std::vector<StateEntry> out;
  for (const LeafOp& op : detail::walk_model(spec, 256, 256)) append_entries(op, out);
  return out;
}

std::vector<StateEntry> layer_state_entries(const ModelSpec& spec, int layer) {
  std::vector<StateEntry> out;
  for (const LeafOp& op : detail::walk_layer(spec, layer)) append_entries(op, out);
  return out;
}

ModelCounts model_counts(const ModelSpec& spec, bool fused) {
  ModelCounts c;
  bool shared_silu = false;
  for (const LeafOp& op : detail::walk_model(spec, 256, 256)) {
    switch (op.type) {
      case LeafOp::Type::conv_bn: {
        int64_t w = int64_t(op.c2) * (op.c1 / op.g) * op.k * op.k;
        int64_t extra = fused ? op.c2 : 2 * op.c2;  // folded conv bias, or BN weight + bias
        c.parameters += w + extra;
        c.gradients += w + extra;
        c.layers += fused ? 1 : 2;  // conv (+ bn)
        if (op.identity_act) c.layers += 1;
        else shared_silu = true;
        break;
      }
      case LeafOp::Type::conv2d: {
        int64_t n = int64_t(op.c2) * op.c1 + (op.bias ? op.c2 : 0);
        c.parameters += n;
        if (!op.frozen) c.gradients += n;
        c.layers += 1;
        break;
      }
      case LeafOp::Type::upsample:
      case LeafOp::Type::concat:
      case LeafOp::Type::maxpool: c.layers += 1; break;
      case LeafOp::Type::matmul: break;
    }
  }
  if (shared_silu) c.layers += 1;  // Conv.default_act is one SiLU instance shared by every Conv
  return c;
}

double model_macs(const ModelSpec& spec, int height, int width, bool fused) {
  double macs = 0;
  for (const LeafOp& op : detail::walk_model(spec, height, width)) {
    switch (op.type) {
      case LeafOp::Type::conv_bn:
        macs += double(op.out_numel) * (op.c1 / op.g) * op.k * op.k;
        if (!fused) macs += 4.0 * double(op.out_numel);  // thop: 2 per element, x2 for the affine BN
        break;
      case LeafOp::Type::conv2d: macs += double(op.out_numel) * op.c1; break;
      case LeafOp::Type::matmul: macs += double(op.matmul_macs); break;
      default: break;
    }
  }
  return macs;
}

double model_gflops(const ModelSpec& spec, int imgsz_h, int imgsz_w, bool fused) {
  YE_CHECK(imgsz_h > 0 && imgsz_w > 0, "imgsz must be positive, got ", imgsz_h, "x", imgsz_w);
  const int stride = 32;  // max(int(model.stride.max()), 32)
  double g = model_macs(spec, stride, stride, fused) / 1e9 * 2;
  return g * imgsz_h / stride * imgsz_w / stride;
}

}  // namespace ye::yolo
