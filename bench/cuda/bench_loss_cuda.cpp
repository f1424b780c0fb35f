// CUDA rows of the assigner + loss family (bench/bench_loss.cpp): cuda::det_loss with f32 and bf16
// logits at batch 16 and 64. Before timing, batch 2 is compared with the CPU twin on the same (rounded)
// logits: the four loss values and both gradients; exact ties between anchors' alignment metrics may
// assign a handful of anchors differently, so up to 1e-4 of the gradient values may disagree.
#include <memory>

#include "bench/common/cuda/gpu_loop.h"
#include "bench/common/harness.h"
#include "bench/common/loss_inputs.h"
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/det_loss.h"

namespace ye::bench {
namespace {

struct LossFixture {
  ye::test::loss::LossCase c;
  DType dtype;
  DeviceBuffer distri, scores, anchors, strides, targets, loss, gd, gs, ws;
  size_t ws_bytes;
  kernels::DetLossInputs in;
  kernels::DetLossOutputs out;
  LossFixture(int batch, DType t) : c(loss_case(batch)), dtype(t) {
    c.distri = round_to(c.distri, t);
    c.scores = round_to(c.scores, t);
    distri = upload(c.distri, t);
    scores = upload(c.scores, t);
    anchors = upload(c.anchors, DType::f32);
    strides = upload(c.strides, DType::f32);
    targets = upload(c.targets, DType::f32);
    loss = DeviceBuffer(4 * sizeof(float));
    gd = DeviceBuffer(c.distri.size() * dtype_size(t));
    gs = DeviceBuffer(c.scores.size() * dtype_size(t));
    ws_bytes = kernels::cuda::det_loss_workspace_bytes(c.shape);
    ws = DeviceBuffer(ws_bytes);
    in.pred_distri = distri.get();
    in.pred_scores = scores.get();
    in.dtype = t;
    in.anchors = anchors.as<float>();
    in.strides = strides.as<float>();
    in.targets = targets.as<float>();
    in.num_targets = c.num_targets;
    out.loss = loss.as<float>();
    out.grad_distri = gd.get();
    out.grad_scores = gs.get();
  }
  void step(cudaStream_t s) { kernels::cuda::det_loss(c.shape, {}, in, out, ws.get(), ws_bytes, s); }
};

std::string check(DType t) {
  LossFixture f(2, t);
  cudaStream_t s = cuda::context(0).stream;
  f.step(s);
  YE_CUDA_CHECK(cudaStreamSynchronize(s));
  std::vector<float> ref_gd(f.c.distri.size()), ref_gs(f.c.scores.size()), ref_loss(4);
  kernels::DetLossInputs in = f.in;
  in.pred_distri = f.c.distri.data();
  in.pred_scores = f.c.scores.data();
  in.dtype = DType::f32;
  in.anchors = f.c.anchors.data();
  in.strides = f.c.strides.data();
  in.targets = f.c.targets.data();
  kernels::DetLossOutputs out{ref_loss.data(), ref_gd.data(), ref_gs.data()};
  kernels::cpu::det_loss(f.c.shape, {}, in, out);
  const double rtol = t == DType::f32 ? 1e-4 : 1.6e-2, atol_of_max = t == DType::f32 ? 2e-5 : 2e-3;
  std::string err = compare(download(f.loss.get(), 4, DType::f32), ref_loss, 0, 5e-3, "loss values");
  if (err.empty())
    err = compare(download(f.gs.get(), ref_gs.size(), t), ref_gs, atol_of_max * max_abs(ref_gs), rtol,
                  "score gradients", ref_gs.size() / 10000);
  if (err.empty())
    err = compare(download(f.gd.get(), ref_gd.size(), t), ref_gd, atol_of_max * max_abs(ref_gd), rtol,
                  "distribution gradients",
                  ref_gd.size() / 10000);
  return err;
}

}  // namespace

void register_loss_cuda(const Options& opt) {
  for (DType t : {DType::f32, DType::bf16})
    for (int batch : opt.short_mode ? std::vector<int>{1} : std::vector<int>{16, 64}) {
      auto checked = std::make_shared<bool>(false);
      add_row("loss/ours/" + std::string(dtype_name(t)) + "/assign_loss_grad/b" + std::to_string(batch),
              [=](benchmark::State& st) {
                cuda::set_device(0);
                if (!*checked) {
                  const std::string err = check(t);
                  if (!err.empty()) return st.SkipWithError(err.c_str());
                  *checked = true;
                }
                LossFixture f(batch, t);
                cudaStream_t s = cuda::context(0).stream;
                GpuLoop loop(s);
                const double secs = loop.run(st, [&] { f.step(s); });
                report(st, opt.ceilings, {Where::cuda, Work::bytes, loss_bytes(f.c, dtype_size(t))}, secs,
                       std::to_string(f.c.num_targets) + " targets");
              });
    }
}

}  // namespace ye::bench
