// GPU checks of the validator: the CUDA NMS path (only kept rows read back) gives the same rows as the
// CPU path on fresh random predictions, and a whole validation pass with predictions on the GPU gives
// the same metrics as with the same predictions on the CPU.
#include <doctest/doctest.h>

#include "tests/common/harness.h"
#include "tests/val/val_helpers.h"
#include "yolo/val/postprocess.h"
#include "yolo/val/validator.h"

namespace ye::yolo {

#ifdef YE_WITH_CUDA
namespace {
// Random Detect outputs: boxes in a 320x256 image, scores quantized so ties are exercised.
Tensor random_decoded(int B, int nc, int A, uint64_t seed) {
  Tensor u = ye::test::random_uniform(Shape{B, 4 + nc, A}, seed, 0.f, 1.f);
  std::vector<float> v = u.to_vector();
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < 4 + nc; ++c)
      for (int a = 0; a < A; ++a) {
        float& x = v[(size_t(b) * size_t(4 + nc) + size_t(c)) * size_t(A) + size_t(a)];
        if (c == 0) x *= 320;
        else if (c == 1) x *= 256;
        else if (c < 4) x = 4 + x * 80;
        else x = std::floor(x * x * x * 64) / 64;  // mostly small, many exact ties
      }
  return Tensor::from_vector(v, Shape{B, 4 + nc, A});
}
}  // namespace

TEST_CASE("CUDA NMS rows equal the CPU rows (multi-label and single-label)") {
  const uint64_t seed = ye::test::fresh_seed();
  CAPTURE(seed);
  for (bool multi : {true, false})
    for (bool agnostic : {false, true}) {
      const Tensor cpu = random_decoded(3, 5, 700, seed);
      kernels::NmsConfig cfg;
      cfg.conf_thres = 0.001f, cfg.iou_thres = 0.7f, cfg.multi_label = multi, cfg.agnostic = agnostic;
      const auto a = nms_to_host(cpu, cfg);
      const auto b = nms_to_host(cpu.to(Device::cuda(0)), cfg);
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].size() > 0);
        CHECK(a[i] == b[i]);
      }
    }
}

TEST_CASE("validation with predictions on the GPU gives the CPU metrics") {
  auto ds = test::coco8_val();
  auto batches = test::collect_batches(ds, 320, 2);
  // Imperfect predictions: one GT of the first batch gets the wrong class.
  batches[0].targets[1] = float((int(batches[0].targets[1]) + 1) % ds->nc());
  auto run = [&](Device device) {
    CallableEvalModel model = test::perfect_model(batches, ds->nc(), 0.6f, device);
    data::LoaderOptions lo = data::LoaderOptions::validation(320, 2, 1);
    lo.log = [](const std::string&) {};
    data::Loader loader(ds, lo);
    ValidatorOptions o;
    o.print = false;
    return validate(model, loader, o);
  };
  const ValResult c = run(Device::cpu()), g = run(Device::cuda(0));
  CHECK(c.map50 < 0.995);
  CHECK(g.mp == c.mp);
  CHECK(g.mr == c.mr);
  CHECK(g.map50 == c.map50);
  CHECK(g.map == c.map);
  CHECK(g.metrics.ap50 == c.metrics.ap50);
  CHECK(g.metrics.confusion.values() == c.metrics.confusion.values());
}
#else
TEST_CASE("validator GPU tests need the CUDA backend") { MESSAGE("built without CUDA"); }
#endif

}  // namespace ye::yolo
