// DFL, anchors and the Detect head (see head.h).
#include "layers/head.h"

#include <algorithm>
#include <cmath>

namespace ye::layers {

DFL::DFL(int c1) : bins(c1) {
  conv = register_module("conv", std::make_shared<Conv2d>(c1, 1, 1, 1, 0, 1, false));
  conv->weight.set_requires_grad(false);
  Generator unused;
  reset_parameters(unused);
}

void DFL::reset_parameters(Generator&) {
  std::vector<float> w(static_cast<size_t>(bins));
  for (int i = 0; i < bins; ++i) w[size_t(i)] = float(i);
  ops::copy_(conv->weight, Tensor::from_vector(w, conv->weight.shape()));
}

Tensor DFL::forward(const Tensor& x) { return ops::dfl_expectation(x, bins); }

void make_anchors(const std::vector<std::pair<int64_t, int64_t>>& sizes, const std::vector<float>& strides,
                  std::vector<float>& points, std::vector<float>& stride_per_anchor) {
  points.clear();
  stride_per_anchor.clear();
  for (size_t l = 0; l < sizes.size(); ++l) {
    auto [h, w] = sizes[l];
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        points.push_back(float(x) + 0.5f);
        points.push_back(float(y) + 0.5f);
        stride_per_anchor.push_back(strides[l]);
      }
  }
}

Detect::Detect(int nc_, const std::vector<int>& ch, bool legacy_, std::vector<float> strides_)
    : nc(nc_), nl(int(ch.size())), no(nc_ + 4 * kRegMax), legacy(legacy_), strides(std::move(strides_)) {
  YE_CHECK(nl >= 1 && int(strides.size()) == nl, "Detect: ", nl, " input levels but ", strides.size(), " strides");
  c2 = std::max({16, ch[0] / 4, kRegMax * 4});
  c3 = std::max(ch[0], std::min(nc, 100));
  auto cv2_list = register_module("cv2", std::make_shared<Sequential>());
  auto cv3_list = register_module("cv3", std::make_shared<Sequential>());
  for (int x : ch) {
    auto box = std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
        std::make_shared<Conv>(x, c2, 3), std::make_shared<Conv>(c2, c2, 3),
        std::make_shared<Conv2d>(c2, 4 * kRegMax, 1)});
    std::shared_ptr<Sequential> cls;
    if (legacy) {
      cls = std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
          std::make_shared<Conv>(x, c3, 3), std::make_shared<Conv>(c3, c3, 3), std::make_shared<Conv2d>(c3, nc, 1)});
    } else {
      auto s0 = std::make_shared<Sequential>(
          std::vector<std::shared_ptr<Module>>{make_dwconv(x, x, 3), std::make_shared<Conv>(x, c3, 1)});
      auto s1 = std::make_shared<Sequential>(
          std::vector<std::shared_ptr<Module>>{make_dwconv(c3, c3, 3), std::make_shared<Conv>(c3, c3, 1)});
      cls = std::make_shared<Sequential>(
          std::vector<std::shared_ptr<Module>>{s0, s1, std::make_shared<Conv2d>(c3, nc, 1)});
    }
    cv2_list->push_back(box);
    cv3_list->push_back(cls);
    cv2.push_back(box);
    cv3.push_back(cls);
  }
  dfl = register_module("dfl", std::make_shared<DFL>(kRegMax));
}

Detect::Output Detect::forward_levels(const std::vector<Tensor>& feats) {
  YE_CHECK(int(feats.size()) == nl, "Detect: expected ", nl, " feature maps, got ", feats.size());
  Output out;
  for (int i = 0; i < nl; ++i)
    out.levels.push_back(ops::concat({cv2[size_t(i)]->forward(feats[size_t(i)]), cv3[size_t(i)]->forward(feats[size_t(i)])}, -1));
  if (!training()) out.decoded = decode(out.levels);
  return out;
}

Tensor Detect::decode(const std::vector<Tensor>& levels) {
  const Tensor& l0 = levels.at(0);
  const int64_t B = l0.dim(0);
  std::vector<Tensor> flat;
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (const Tensor& t : levels) {
    flat.push_back(ops::reshape(t, Shape{B, t.dim(1) * t.dim(2), int64_t(no)}));
    sizes.emplace_back(t.dim(1), t.dim(2));
  }
  Tensor all = ops::concat(flat, 1);  // (B, A, no)
  const int64_t A = all.dim(1);
  std::vector<float> pts, str;
  make_anchors(sizes, strides, pts, str);
  Tensor anchors = ops::cast(Tensor::from_vector(pts, Shape{1, A, 2}), l0.dtype()).to(l0.device());
  Tensor stride = ops::cast(Tensor::from_vector(str, Shape{1, A, 1}), l0.dtype()).to(l0.device());
  Tensor dist = dfl->forward(ops::narrow(all, 2, 0, 4 * kRegMax));  // (B, A, 4) l, t, r, b
  Tensor x1y1 = ops::sub(anchors, ops::narrow(dist, 2, 0, 2));
  Tensor x2y2 = ops::add(anchors, ops::narrow(dist, 2, 2, 2));
  Tensor cxy = ops::mul_scalar(ops::add(x1y1, x2y2), 0.5f);
  Tensor wh = ops::sub(x2y2, x1y1);
  Tensor box = ops::mul(ops::concat({cxy, wh}, 2), stride);
  Tensor scores = ops::sigmoid(ops::narrow(all, 2, 4 * kRegMax, nc));
  return ops::concat({box, scores}, 2);
}

std::shared_ptr<Module> Detect::final_conv(Sequential& branch) const { return branch.children().back().second; }

void Detect::bias_init() {
  for (int i = 0; i < nl; ++i) {
    auto box = std::static_pointer_cast<Conv2d>(final_conv(*cv2[size_t(i)]));
    auto cls = std::static_pointer_cast<Conv2d>(final_conv(*cv3[size_t(i)]));
    ops::fill_(box->bias, 1.0f);
    const double s = strides[size_t(i)];
    ops::fill_(cls->bias, float(std::log(5.0 / nc / std::pow(640.0 / s, 2))));
  }
}

void Detect::reset_parameters(Generator& gen) {
  Module::reset_parameters(gen);
  bias_init();
}

}  // namespace ye::layers
