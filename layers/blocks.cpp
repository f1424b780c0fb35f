// Bottleneck, C2f, C3, C3k, C3k2, SPPF, Concat and Upsample (see blocks.h).
#include "layers/blocks.h"

namespace ye::layers {

Bottleneck::Bottleneck(int c1, int c2, bool shortcut, int g, int k1, int k2, float e) {
  int c_ = int(float(c2) * e);
  cv1 = register_module("cv1", std::make_shared<Conv>(c1, c_, k1, 1));
  cv2 = register_module("cv2", std::make_shared<Conv>(c_, c2, k2, 1, g));
  add = shortcut && c1 == c2;
}

Tensor Bottleneck::forward(const Tensor& x) { return forward_into(x, Tensor()); }

Tensor Bottleneck::forward_into(const Tensor& x, const Tensor& out) {
  return cv2->forward_fused(cv1->forward(x), add ? x : Tensor(), out);
}

C2f::C2f(int c1, int c2, int n, float e, const std::function<std::shared_ptr<Module>(int)>& make_block) {
  c = int(float(c2) * e);
  cv1 = register_module("cv1", std::make_shared<Conv>(c1, 2 * c, 1, 1));
  cv2 = register_module("cv2", std::make_shared<Conv>((2 + n) * c, c2, 1));
  m = register_module("m", std::make_shared<Sequential>());
  for (int i = 0; i < n; ++i) m->push_back(make_block(c));
}

C2f::C2f(int c1, int c2, int n, bool shortcut, int g, float e)
    : C2f(c1, c2, n, e, [shortcut, g](int ch) -> std::shared_ptr<Module> {
        return std::make_shared<Bottleneck>(ch, ch, shortcut, g, 3, 3, 1.0f);
      }) {}

Tensor C2f::forward(const Tensor& x) {
  YE_CHECK(x.ndim() == 4, "C2f: input must be NHWC 4-D, got ", x.shape().str());
  const int64_t n = int64_t(m->size());
  Tensor buf = Tensor::empty(Shape{x.dim(0), x.dim(1), x.dim(2), (2 + n) * c}, x.dtype(), x.device());
  // concat[split(y1), m0, m1, ...] == concat[y1, m0, m1, ...]; y1 and every m_i already sit in buf.
  std::vector<Tensor> parts{cv1->forward_into(x, buf.narrow_view(-1, 0, 2 * c))};
  Tensor last = ops::narrow(parts[0], -1, c, c);
  for (int64_t i = 0; i < n; ++i) {
    last = (*m)[size_t(i)].forward_into(last, buf.narrow_view(-1, (2 + i) * c, c));
    parts.push_back(last);
  }
  return cv2->forward(ops::concat(parts, -1));
}

C3::C3(int c1, int c2, int n, bool shortcut, int g, float e, int k1, int k2) {
  int c_ = int(float(c2) * e);
  cv1 = register_module("cv1", std::make_shared<Conv>(c1, c_, 1, 1));
  cv2 = register_module("cv2", std::make_shared<Conv>(c1, c_, 1, 1));
  cv3 = register_module("cv3", std::make_shared<Conv>(2 * c_, c2, 1));
  m = register_module("m", std::make_shared<Sequential>());
  for (int i = 0; i < n; ++i) m->push_back(std::make_shared<Bottleneck>(c_, c_, shortcut, g, k1, k2, 1.0f));
}

Tensor C3::forward(const Tensor& x) {
  return cv3->forward(ops::concat({m->forward(cv1->forward(x)), cv2->forward(x)}, -1));
}

C3k2::C3k2(int c1, int c2, int n, bool c3k, float e, int g, bool shortcut)
    : C2f(c1, c2, n, e, [c3k, shortcut, g](int ch) -> std::shared_ptr<Module> {
        if (c3k) return std::make_shared<C3k>(ch, ch, 2, shortcut, g);
        return std::make_shared<Bottleneck>(ch, ch, shortcut, g, 3, 3, 0.5f);
      }) {}

SPPF::SPPF(int c1, int c2, int k_) : k(k_) {
  int c_ = c1 / 2;
  cv1 = register_module("cv1", std::make_shared<Conv>(c1, c_, 1, 1));
  cv2 = register_module("cv2", std::make_shared<Conv>(c_ * 4, c2, 1, 1));
}

Tensor SPPF::forward(const Tensor& x) {
  std::vector<Tensor> ys{cv1->forward(x)};
  for (int i = 0; i < 3; ++i) ys.push_back(ops::max_pool2d(ys.back(), k, 1, k / 2));
  return cv2->forward(ops::concat(ys, -1));
}

Tensor Concat::forward_many(const std::vector<Tensor>& xs) { return ops::concat(xs, -1); }

Tensor Upsample::forward(const Tensor& x) { return ops::upsample_nearest2x(x); }

Tensor Upsample::forward_into(const Tensor& x, const Tensor& out) { return ops::upsample_nearest2x(x, out); }

}  // namespace ye::layers
