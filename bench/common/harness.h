// Shared harness of the microbenchmark suite (every bench_<family> binary): the card's ceilings
// (measured once at start, or read from the JSON file named by YE_BENCH_CEILINGS), the counters every
// row reports (achieved GB/s or TFLOP/s and percent of the matching ceiling), the CPU timing loop,
// the CUDA-vs-CPU comparison and run_suite(), the main of every family binary.
#pragma once
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/dtype.h"

namespace ye::bench {

// Measured ceilings; 0 where not measured (no CUDA device). Bandwidths count bytes read + written.
struct Ceilings {
  std::string gpu_name;          // empty without a CUDA device
  double gpu_copy_gbs = 0;       // device-to-device cudaMemcpyAsync of 1 GiB
  double gpu_f16_tflops = 0;     // cuBLASLt 8192^3 GEMM, f16 operands, f32 accumulation
  double gpu_f32_tflops = 0;     // cuBLASLt 8192^3 GEMM, f32 without TF32
  double gpu_tf32_tflops = 0;    // cuBLASLt 8192^3 GEMM, f32 with TF32 tensor cores
  double gpu_l2_bytes = 0;       // flushed between repetitions
  double cpu_copy_gbs = 0;       // memcpy of 256 MiB on one thread
  double cpu_f32_tflops = 0;     // Eigen 1024^3 f32 GEMM
};

std::string ceilings_to_json(const Ceilings& c);
Ceilings ceilings_from_json(const std::string& text);

enum class Where { cpu, cuda };
enum class Work { bytes, flops };

// What one repetition of a row moves (bytes) or computes (flops), and where: picks counter and ceiling.
struct RowWork {
  Where where = Where::cuda;
  Work kind = Work::bytes;
  double amount = 0;
  DType dtype = DType::f32;  // flops rows: f16/bf16 -> f16 GEMM ceiling, f32 -> f32 (or TF32)
  bool tf32 = false;
};

// The ceiling a row is measured against (GB/s or TFLOP/s), and its name for the label.
double ceiling_of(const Ceilings& c, const RowWork& w);
std::string ceiling_name(const RowWork& w);
// Sets the row's counters from the total timed seconds of all its repetitions: GB/s or TFLOP/s,
// pct_ceiling, and the label suffix naming the ceiling.
void report(benchmark::State& st, const Ceilings& c, const RowWork& w, double seconds, const std::string& label);

struct Options {
  bool short_mode = false;  // YE_BENCH_SHORT=1 or --ye_short: batch 1, fewer shapes (the CI mode)
  bool have_cuda = false;   // a CUDA build with a device
  Ceilings ceilings;
};
using Register = std::function<void(const Options&)>;

// Parses --ye_short, loads or measures the ceilings, registers the CPU rows and (with a device) the
// CUDA rows, runs Google Benchmark. Returns non-zero when a row reported an error (failed check);
// errors whose message starts with "unsupported" (cuDNN has no such alternative) do not count.
int run_suite(int argc, char** argv, const Register& cpu_rows, const Register& cuda_rows);

// Measures the CPU ceilings (one thread memcpy, Eigen GEMM); the GPU ones are in bench/common/cuda.
void measure_cpu_ceilings(Ceilings& c);

// CPU loop: wall time of each repetition as the iteration time (rows use manual time); the first
// call of `body` is a warm-up outside the timing, and a 64 MiB memset before each repetition evicts
// the caches. Returns the total timed seconds.
double time_cpu(benchmark::State& st, const std::function<void()>& body);

// Values uniform in [lo, hi), never exactly zero (a zero is replaced by hi / 2).
std::vector<float> random_values(size_t n, float lo, float hi, uint64_t seed);

// Compares |got - ref| <= atol + rtol * |ref| element-wise. Empty string when at most `allowed` values
// disagree, else a message naming `what`, the worst index and the number of mismatches.
std::string compare(const std::vector<float>& got, const std::vector<float>& ref, double atol, double rtol,
                    const std::string& what, size_t allowed = 0);

// Largest |v[i]| (0 for an empty vector): scales absolute tolerances.
double max_abs(const std::vector<float>& v);

// Error-reporting wrapper for a row body: exceptions and failed checks become SkipWithError.
void guarded(benchmark::State& st, const std::function<void()>& body);

// Rows are registered with manual time, microseconds.
benchmark::internal::Benchmark* add_row(const std::string& name, std::function<void(benchmark::State&)> body);

}  // namespace ye::bench
