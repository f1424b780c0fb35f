// Expansion of resolved layers into the reference's leaf modules (REFERENCE.md 2.1-2.8): Conv = conv +
// bn (+ shared SiLU or an own Identity), Bottleneck, C2f, C3k2 (Bottleneck or C3k blocks), SPPF, C2PSA
// (PSABlock = Attention + FFN), Detect (box / cls branches, DFL). Prefixes follow registration order.
#include "yolo/model_spec/module_walk.h"

#include <utility>

#include "kernels/error.h"

namespace ye::yolo::detail {
namespace {

struct Walker {
  std::vector<LeafOp>& out;

  static int conv_out(int x, int k, int s, int p, int d) { return (x + 2 * p - d * (k - 1) - 1) / s + 1; }

  // Conv(c1, c2, k, s, g, act) at input h x w; returns the output size.
  std::pair<int, int> conv(const std::string& p, int c1, int c2, int k, int s, int g, bool act, int h, int w,
                           int pad = -1, int d = 1) {
    if (pad < 0) pad = (d * (k - 1) + 1) / 2;
    int ho = conv_out(h, k, s, pad, d), wo = conv_out(w, k, s, pad, d);
    LeafOp op;
    op.type = LeafOp::Type::conv_bn;
    op.prefix = p;
    op.c1 = c1, op.c2 = c2, op.k = k, op.s = s, op.g = g;
    op.identity_act = !act;
    op.out_numel = int64_t(c2) * ho * wo;
    out.push_back(op);
    return {ho, wo};
  }

  void conv2d(const std::string& p, int c1, int c2, int h, int w, bool bias, bool frozen = false) {
    LeafOp op;
    op.type = LeafOp::Type::conv2d;
    op.prefix = p;
    op.c1 = c1, op.c2 = c2, op.bias = bias, op.frozen = frozen;
    op.out_numel = int64_t(c2) * h * w;
    out.push_back(op);
  }

  void simple(LeafOp::Type t, const std::string& p, int64_t out_numel) {
    LeafOp op;
    op.type = t;
    op.prefix = p;
    op.out_numel = out_numel;
    out.push_back(op);
  }

  // Bottleneck(c1, c2, shortcut, g, k=(k1, k2), e)
  void bottleneck(const std::string& p, int c1, int c2, int g, int k1, int k2, double e, int h, int w) {
    int c_ = int(c2 * e);
    conv(p + "cv1.", c1, c_, k1, 1, 1, true, h, w);
    conv(p + "cv2.", c_, c2, k2, 1, g, true, h, w);
  }

  // C3k(c1, c2, n, shortcut, g, e=0.5, k=3)
  void c3k(const std::string& p, int c1, int c2, int n, int g, int h, int w) {
    int c_ = int(c2 * 0.5);
    conv(p + "cv1.", c1, c_, 1, 1, 1, true, h, w);
    conv(p + "cv2.", c1, c_, 1, 1, 1, true, h, w);
    conv(p + "cv3.", 2 * c_, c2, 1, 1, 1, true, h, w);
    for (int j = 0; j < n; ++j) bottleneck(p + "m." + std::to_string(j) + ".", c_, c_, g, 3, 3, 1.0, h, w);
  }

  // C2f / C3k2: cv1, cv2, then the n blocks in m.
  void c2f(const std::string& p, const LayerSpec& l, int h, int w) {
    int c = int(l.c2 * l.e);
    conv(p + "cv1.", l.c1, 2 * c, 1, 1, 1, true, h, w);
    conv(p + "cv2.", (2 + l.n) * c, l.c2, 1, 1, 1, true, h, w);
    for (int j = 0; j < l.n; ++j) {
      std::string q = p + "m." + std::to_string(j) + ".";
      if (l.kind == ModuleKind::C2f) bottleneck(q, c, c, l.groups, 3, 3, 1.0, h, w);
      else if (l.c3k) c3k(q, c, c, 2, l.groups, h, w);
      else bottleneck(q, c, c, l.groups, 3, 3, 0.5, h, w);
    }
  }

  void sppf(const std::string& p, const LayerSpec& l, int h, int w) {
    int c_ = l.c1 / 2;
    conv(p + "cv1.", l.c1, c_, 1, 1, 1, true, h, w);
    conv(p + "cv2.", c_ * 4, l.c2, 1, 1, 1, true, h, w);
    simple(LeafOp::Type::maxpool, p + "m.", int64_t(c_) * h * w);
  }

  // Attention(dim, num_heads, attn_ratio=0.5): qkv, proj, pe (all act=False) and the two matmuls.
  void attention(const std::string& p, int dim, int heads, int h, int w) {
    int head_dim = dim / heads, key_dim = int(head_dim * 0.5);
    conv(p + "qkv.", dim, dim + 2 * key_dim * heads, 1, 1, 1, false, h, w);
    conv(p + "proj.", dim, dim, 1, 1, 1, false, h, w);
    conv(p + "pe.", dim, dim, 3, 1, dim, false, h, w);
    int64_t N = int64_t(h) * w;
    LeafOp mm;
    mm.type = LeafOp::Type::matmul;
    mm.prefix = p;
    mm.matmul_macs = int64_t(heads) * N * N * (key_dim + head_dim);  // q^T k, then v attn^T
    out.push_back(mm);
  }

  void c2psa(const std::string& p, const LayerSpec& l, int h, int w) {
    int c = int(l.c1 * l.e);
    conv(p + "cv1.", l.c1, 2 * c, 1, 1, 1, true, h, w);
    conv(p + "cv2.", 2 * c, l.c1, 1, 1, 1, true, h, w);
    for (int j = 0; j < l.n; ++j) {
      std::string q = p + "m." + std::to_string(j) + ".";
      attention(q + "attn.", c, c / 64, h, w);
      conv(q + "ffn.0.", c, 2 * c, 1, 1, 1, true, h, w);
      conv(q + "ffn.1.", 2 * c, c, 1, 1, 1, false, h, w);
    }
  }

  void detect(const std::string& p, const DetectSpec& d, const std::vector<std::pair<int, int>>& hw) {
    int64_t anchors = 0;
    for (size_t i = 0; i < d.ch.size(); ++i) {
      auto [h, w] = hw[i];
      std::string q = p + "cv2." + std::to_string(i) + ".";
      conv(q + "0.", d.ch[i], d.c2, 3, 1, 1, true, h, w);
      conv(q + "1.", d.c2, d.c2, 3, 1, 1, true, h, w);
      conv2d(q + "2.", d.c2, 4 * d.reg_max, h, w, true);
      anchors += int64_t(h) * w;
    }
    for (size_t i = 0; i < d.ch.size(); ++i) {
      auto [h, w] = hw[i];
      std::string q = p + "cv3." + std::to_string(i) + ".";
      int x = d.ch[i];
      if (d.legacy) {
        conv(q + "0.", x, d.c3, 3, 1, 1, true, h, w);
        conv(q + "1.", d.c3, d.c3, 3, 1, 1, true, h, w);
      } else {
        conv(q + "0.0.", x, x, 3, 1, x, true, h, w);
        conv(q + "0.1.", x, d.c3, 1, 1, 1, true, h, w);
        conv(q + "1.0.", d.c3, d.c3, 3, 1, d.c3, true, h, w);
        conv(q + "1.1.", d.c3, d.c3, 1, 1, 1, true, h, w);
      }
      conv2d(q + "2.", d.c3, d.nc, h, w, true);
    }
    // DFL conv (16 -> 1, no bias, frozen) on the (1, 16, 4, A) bin tensor of the eval decode.
    conv2d(p + "dfl.conv.", d.reg_max, 1, 4, int(anchors), false, true);
  }
};

std::vector<LeafOp> walk(const ModelSpec& spec, int height, int width, int only_layer) {
  std::vector<LeafOp> out;
  std::vector<std::pair<int, int>> sizes;  // output h, w per layer
  for (const LayerSpec& l : spec.layers) {
    auto in_hw = [&](int k) { return l.inputs[k] < 0 ? std::make_pair(height, width) : sizes[l.inputs[k]]; };
    auto [h, w] = in_hw(0);
    std::vector<LeafOp> mine;
    Walker lw{mine};
    std::pair<int, int> o{h, w};
    for (int copy = 0; copy < l.copies; ++copy) {
      std::string p = "model." + std::to_string(l.index) + "." + (l.copies > 1 ? std::to_string(copy) + "." : "");
      switch (l.kind) {
        case ModuleKind::Conv:
        case ModuleKind::DWConv:
          o = lw.conv(p, l.c1, l.c2, l.kernel, l.stride, l.groups, l.act, o.first, o.second, l.padding, l.dilation);
          break;
        case ModuleKind::Bottleneck: lw.bottleneck(p, l.c1, l.c2, l.groups, 3, 3, l.e, h, w); break;
        case ModuleKind::C2f:
        case ModuleKind::C3k2: lw.c2f(p, l, h, w); break;
        case ModuleKind::SPPF: lw.sppf(p, l, h, w); break;
        case ModuleKind::C2PSA: lw.c2psa(p, l, h, w); break;
        case ModuleKind::Upsample: {
          int sf = int(l.scale_factor);
          o = {o.first * sf, o.second * sf};
          lw.simple(LeafOp::Type::upsample, p, int64_t(l.c2) * o.first * o.second);
          break;
        }
        case ModuleKind::Concat: lw.simple(LeafOp::Type::concat, p, int64_t(l.c2) * h * w); break;
        case ModuleKind::Detect: {
          std::vector<std::pair<int, int>> hw;
          for (size_t k = 0; k < l.inputs.size(); ++k) hw.push_back(in_hw(int(k)));
          lw.detect(p, l.detect, hw);
          break;
        }
      }
    }
    sizes.push_back(o);
    if (only_layer < 0 || only_layer == l.index) out.insert(out.end(), mine.begin(), mine.end());
  }
  return out;
}

}  // namespace

std::vector<LeafOp> walk_model(const ModelSpec& spec, int height, int width) {
  YE_CHECK(height > 0 && width > 0, "model input size must be positive, got ", height, "x", width);
  return walk(spec, height, width, -1);
}

std::vector<LeafOp> walk_layer(const ModelSpec& spec, int layer) {
  YE_CHECK(layer >= 0 && layer < int(spec.layers.size()), "layer ", layer, " is out of range");
  return walk(spec, 256, 256, layer);
}

}  // namespace ye::yolo::detail
