// CSP building blocks of YOLOv8 / YOLO11 (reference block.py, REFERENCE.md section 2): Bottleneck,
// C2f, C3, C3k, C3k2, SPPF (SiLU in cv1, as 8.3.166), plus the graph glue Concat (channels) and
// Upsample (nearest x2). Inputs and outputs are NHWC; channel splits and concats are along dim -1.
#pragma once
#include <functional>

#include "layers/conv.h"

namespace ye::layers {

class Bottleneck : public Module {
 public:
  Bottleneck(int c1, int c2, bool shortcut = true, int g = 1, int k1 = 3, int k2 = 3, float e = 0.5f);
  Tensor forward(const Tensor& x) override;  // x + cv2(cv1(x)), the add fused into cv2's BN pass
  Tensor forward_into(const Tensor& x, const Tensor& out) override;
  std::shared_ptr<Conv> cv1, cv2;
  bool add;
};

// cv1 (1x1 to 2c), split, n chained blocks each appending its output, cv2 (1x1) on the concat. Concat-
// free: cv1 and each block write straight into their channel slice of one buffer, which cv2 reads.
class C2f : public Module {
 public:
  C2f(int c1, int c2, int n = 1, bool shortcut = false, int g = 1, float e = 0.5f);
  Tensor forward(const Tensor& x) override;
  int c;
  std::shared_ptr<Conv> cv1, cv2;
  std::shared_ptr<Sequential> m;  // ModuleList in the reference ("m.0", ...)

 protected:
  // Shared by C3k2: the n inner blocks come from make_block(c).
  C2f(int c1, int c2, int n, float e, const std::function<std::shared_ptr<Module>(int)>& make_block);
};

class C3 : public Module {
 public:
  // The reference's C3 bottlenecks are (1x1, 3x3); C3k passes k for both.
  C3(int c1, int c2, int n = 1, bool shortcut = true, int g = 1, float e = 0.5f, int k1 = 1, int k2 = 3);
  Tensor forward(const Tensor& x) override;  // cv3(concat[m(cv1(x)), cv2(x)])
  std::shared_ptr<Conv> cv1, cv2, cv3;
  std::shared_ptr<Sequential> m;
};

class C3k : public C3 {
 public:
  C3k(int c1, int c2, int n = 1, bool shortcut = true, int g = 1, float e = 0.5f, int k = 3)
      : C3(c1, c2, n, shortcut, g, e, k, k) {}
};

// C2f with inner blocks Bottleneck(c, c, shortcut, g, 3x3, e=0.5) or, with c3k, C3k(c, c, n=2).
class C3k2 : public C2f {
 public:
  C3k2(int c1, int c2, int n = 1, bool c3k = false, float e = 0.5f, int g = 1, bool shortcut = true);
};

class SPPF : public Module {
 public:
  SPPF(int c1, int c2, int k = 5);
  Tensor forward(const Tensor& x) override;  // cv2(concat[x1, p(x1), p(p(x1)), p(p(p(x1)))]), x1 = cv1(x)
  std::shared_ptr<Conv> cv1, cv2;
  int k;
};

class Concat : public Module {
 public:
  Tensor forward_many(const std::vector<Tensor>& xs) override;  // along channels (NHWC dim -1)
};

class Upsample : public Module {
 public:
  Tensor forward(const Tensor& x) override;  // nearest, scale 2
  // Into `out` (e.g. its channels of a concat buffer; see ops::upsample_nearest2x).
  Tensor forward_into(const Tensor& x, const Tensor& out);
};

}  // namespace ye::layers
