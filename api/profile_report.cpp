// The StepProfile as text: a fixed-width table (per layer: forward and backward ms, share of the step,
// GFLOP, achieved TFLOP/s, MB at the boundary, achieved GB/s; then the step's phases) and a CSV with
// one row per layer and the same quantities split into forward and backward.
#include <cstdio>
#include <string>

#include "yolo_engine/profiler.h"

namespace ye::api {
namespace {

std::string format(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

double per_ms(double amount, double ms, double unit) { return ms > 0 ? amount / (ms * 1e-3) / unit : 0.0; }

}  // namespace

std::string profile_table(const StepProfile& p) {
  const double step = p.step_ms();
  std::string out = format("%s  batch %d  imgsz %d  %s  %s  (mean of %d steps)\n", p.model.c_str(), p.batch, p.imgsz,
                           p.precision.c_str(), p.device.c_str(), p.iterations);
  out += format("%-18s %10s %10s %7s %9s %8s %9s %8s\n", "layer", "fwd ms", "bwd ms", "step %", "GFLOP", "TFLOP/s",
                "MB", "GB/s");
  for (const LayerProfile& l : p.layers) {
    double ms = l.total_ms(), flops = l.forward_flops + l.backward_flops, bytes = l.forward_bytes + l.backward_bytes;
    out += format("%-18s %10.3f %10.3f %7.1f %9.2f %8.2f %9.1f %8.1f\n", l.name.c_str(), l.forward_ms, l.backward_ms,
                  step > 0 ? 100.0 * ms / step : 0.0, flops * 1e-9, per_ms(flops, ms, 1e12), bytes * 1e-6,
                  per_ms(bytes, ms, 1e9));
  }
  out += format("phases: forward %.3f ms, loss %.3f ms, backward %.3f ms, optimizer+EMA %.3f ms, step %.3f ms\n",
                p.forward_ms, p.loss_ms, p.backward_ms, p.optimizer_ms, step);
  return out;
}

std::string profile_csv(const StepProfile& p) {
  const double step = p.step_ms();
  std::string out =
      "index,name,forward_ms,backward_ms,step_share,forward_flops,backward_flops,forward_bytes,backward_bytes,"
      "forward_tflops,backward_tflops,forward_gbps,backward_gbps\n";
  for (const LayerProfile& l : p.layers)
    out += format("%d,%s,%.6f,%.6f,%.6f,%.6g,%.6g,%.6g,%.6g,%.4f,%.4f,%.3f,%.3f\n", l.index, l.name.c_str(),
                  l.forward_ms, l.backward_ms, step > 0 ? l.total_ms() / step : 0.0, l.forward_flops, l.backward_flops,
                  l.forward_bytes, l.backward_bytes, per_ms(l.forward_flops, l.forward_ms, 1e12),
                  per_ms(l.backward_flops, l.backward_ms, 1e12), per_ms(l.forward_bytes, l.forward_ms, 1e9),
                  per_ms(l.backward_bytes, l.backward_ms, 1e9));
  return out;
}

}  // namespace ye::api
