// Attention, PSABlock and C2PSA (see attention.h); heads are batched matmuls of (B*heads, N, d).
#include "layers/attention.h"

#include <cmath>

namespace ye::layers {

Attention::Attention(int dim, int heads, float attn_ratio) : num_heads(heads) {
  head_dim = dim / num_heads;
  key_dim = int(float(head_dim) * attn_ratio);
  scale = std::pow(float(key_dim), -0.5f);
  const int h = dim + 2 * key_dim * num_heads;
  qkv = register_module("qkv", std::make_shared<Conv>(dim, h, 1, 1, 1, false));
  proj = register_module("proj", std::make_shared<Conv>(dim, dim, 1, 1, 1, false));
  pe = register_module("pe", std::make_shared<Conv>(dim, dim, 3, 1, dim, false));
}

Tensor Attention::forward(const Tensor& x) {
  const int64_t B = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3), N = H * W;
  const int64_t nh = num_heads, kd = key_dim, hd = head_dim;
  Tensor r = ops::reshape(qkv->forward(x), Shape{B, N, nh, 2 * kd + hd});
  auto heads_first = [&](const Tensor& t, int64_t d) {  // (B, N, nh, d) -> (B*nh, N, d)
    return ops::reshape(ops::permute(t, {0, 2, 1, 3}), Shape{B * nh, N, d});
  };
  Tensor v = ops::narrow(r, 3, 2 * kd, hd);                            // (B, N, nh, hd)
  Tensor q = heads_first(ops::narrow(r, 3, 0, kd), kd);
  Tensor k = heads_first(ops::narrow(r, 3, kd, kd), kd);
  Tensor attn = ops::softmax(ops::mul_scalar(ops::matmul(q, k, false, true), scale), -1);  // (B*nh, N, N)
  Tensor o = ops::matmul(attn, heads_first(v, hd));                                        // (B*nh, N, hd)
  o = ops::reshape(ops::permute(ops::reshape(o, Shape{B, nh, N, hd}), {0, 2, 1, 3}), Shape{B, H, W, C});
  Tensor pos = pe->forward(ops::reshape(v, Shape{B, H, W, C}));
  return proj->forward(ops::add(o, pos));
}

PSABlock::PSABlock(int c, float attn_ratio, int heads, bool shortcut) : add(shortcut) {
  attn = register_module("attn", std::make_shared<Attention>(c, heads, attn_ratio));
  ffn = register_module("ffn", std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                                   std::make_shared<Conv>(c, c * 2, 1), std::make_shared<Conv>(c * 2, c, 1, 1, 1, false)}));
}

Tensor PSABlock::forward(const Tensor& x0) {
  Tensor a = attn->forward(x0);
  Tensor x = add ? ops::add(x0, a) : a;
  Tensor f = ffn->forward(x);
  return add ? ops::add(x, f) : f;
}

C2PSA::C2PSA(int c1, int c2, int n, float e) {
  YE_CHECK(c1 == c2, "C2PSA needs c1 == c2, got ", c1, " and ", c2);
  c = int(float(c1) * e);
  cv1 = register_module("cv1", std::make_shared<Conv>(c1, 2 * c, 1, 1));
  cv2 = register_module("cv2", std::make_shared<Conv>(2 * c, c1, 1));
  m = register_module("m", std::make_shared<Sequential>());
  for (int i = 0; i < n; ++i) m->push_back(std::make_shared<PSABlock>(c, 0.5f, c / 64));
}

Tensor C2PSA::forward(const Tensor& x) {
  std::vector<Tensor> ab = ops::split(cv1->forward(x), {c, c}, -1);
  return cv2->forward(ops::concat({ab[0], m->forward(ab[1])}, -1));
}

}  // namespace ye::layers
