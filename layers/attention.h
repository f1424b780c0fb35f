// Position-sensitive attention of YOLO11 (reference block.py): Attention (qkv 1x1 conv, per-head
// softmax(q^T k * key_dim^-0.5), v attn^T, plus a depthwise 3x3 positional conv of v, then proj),
// PSABlock (x + attn(x), then x + ffn(x)) and C2PSA (cv1, split, n PSABlocks on the second half, cv2).
// NHWC: the qkv channels of head h are [q (key_dim), k (key_dim), v (head_dim)] at h*(2*key_dim+head_dim).
#pragma once
#include "layers/conv.h"

namespace ye::layers {

class Attention : public Module {
 public:
  Attention(int dim, int num_heads = 8, float attn_ratio = 0.5f);
  Tensor forward(const Tensor& x) override;
  int num_heads, head_dim, key_dim;
  float scale;
  std::shared_ptr<Conv> qkv, proj, pe;
};

class PSABlock : public Module {
 public:
  PSABlock(int c, float attn_ratio = 0.5f, int num_heads = 4, bool shortcut = true);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Attention> attn;
  std::shared_ptr<Sequential> ffn;  // Conv(c, 2c, 1), Conv(2c, c, 1, act=false)
  bool add;
};

class C2PSA : public Module {
 public:
  C2PSA(int c1, int c2, int n = 1, float e = 0.5f);
  Tensor forward(const Tensor& x) override;
  int c;
  std::shared_ptr<Conv> cv1, cv2;
  std::shared_ptr<Sequential> m;
};

}  // namespace ye::layers
