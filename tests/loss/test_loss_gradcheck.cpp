// Numeric gradient check of the CPU detection loss: with the assignment held fixed, the analytic gradient
// of the total w.r.t. every logit (box distribution through CIoU + DFL, class BCE) is compared with
// central differences of the loss computed in double.
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/cpu/det_loss_internal.h"
#include "loss/loss_golden.h"

namespace {

using namespace ye::kernels;

TEST_CASE("det_loss cpu: analytic gradient matches central differences (assigner fixed)") {
  const auto c = ye::test::loss::random_case(7, 2, 64, 96, 3, 6);
  const auto& s = c.shape;
  const cpu::DetAssignment asg = cpu::det_assign(s, {}, c.distri.data(), c.scores.data(), c.anchors.data(),
                                                 c.strides.data(), c.targets.data(), c.num_targets);
  int fg = 0;
  for (int g : asg.assigned) fg += g >= 0;
  REQUIRE(fg > 0);
  std::vector<double> distri(c.distri.begin(), c.distri.end()), scores(c.scores.begin(), c.scores.end());
  std::vector<double> gd(distri.size()), gs(scores.size());
  const double scale = 3.0;
  std::vector<double> alpha;  // CIoU's alpha has no gradient: central differences hold it at these values
  cpu::det_loss_given_assignment<double>(s, {}, distri.data(), scores.data(), c.anchors.data(), c.strides.data(),
                                         asg, scale, gd.data(), gs.data(), &alpha);
  auto total = [&] {
    return scale * cpu::det_loss_given_assignment<double>(s, {}, distri.data(), scores.data(), c.anchors.data(),
                                                          c.strides.data(), asg, 1.0, nullptr, nullptr, &alpha)
                       .total;
  };
  const double h = 1e-5;
  auto check = [&](std::vector<double>& x, const std::vector<double>& g, size_t i, double floor) {
    const double keep = x[i];
    x[i] = keep + h;
    const double up = total();
    x[i] = keep - h;
    const double down = total();
    x[i] = keep;
    const double numeric = (up - down) / (2 * h);
    return std::abs(numeric - g[i]) <= floor + 1e-6 * std::abs(numeric);
  };
  double gmax = 0;
  for (double v : gd) gmax = std::max(gmax, std::abs(v));
  int checked = 0, bad = 0;
  for (size_t ba = 0; ba < asg.assigned.size(); ++ba) {
    if (asg.assigned[ba] < 0) continue;
    for (int j = 0; j < 64; ++j, ++checked) bad += !check(distri, gd, ba * 64 + j, 1e-7 * gmax);
  }
  for (size_t i = 0; i < scores.size(); i += 7, ++checked) bad += !check(scores, gs, i, 1e-7 * gmax);
  CHECK(checked > 64 * fg);
  CHECK(bad == 0);
  // Background anchors get no box gradient.
  for (size_t ba = 0; ba < asg.assigned.size(); ++ba) {
    if (asg.assigned[ba] >= 0) continue;
    for (int j = 0; j < 64; ++j) REQUIRE(gd[ba * 64 + j] == 0.0);
  }
}

}  // namespace
