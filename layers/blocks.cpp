// Bottleneck, C2f, C3, C3k, C3k2, SPPF, Concat and Upsample (see blocks.h).
#include "layers/blocks.h"

namespace ye::layers {

Bottleneck::Bottleneck(int c1, int c2, bool shortcut, int g, int k1, int k2, float e) {
  int c_ = int(float(c2) * e);
  cv1 = register_module("cv1", std::make_shared<Conv>(c1, c_, k1, 1));
  cv2 = register_module("cv2", std::make_shared<Conv>(c_, c2, k2, 1, g));
  add = shortcut && c1 == c2;
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor y = cv2->forward(cv1->forward(x));
  return add ? ops::add(x, y) : y;
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
  std::vector<Tensor> ys = ops::split(cv1->forward(x), {c, c}, -1);
  for (size_t i = 0; i < m->size(); ++i) ys.push_back((*m)[i].forward(ys.back()));
  return cv2->forward(ops::concat(ys, -1));
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

}  // namespace ye::layers
