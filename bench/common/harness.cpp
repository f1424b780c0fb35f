// The suite's shared harness (bench/common/harness.h): ceilings to and from JSON, the CPU ceilings,
// row counters against the ceilings, the CPU timing loop, value generation, comparison, and the
// common main run_suite(). The GPU ceilings are measured in bench/common/cuda/gpu_ceilings.cpp.
#include "bench/common/harness.h"

#include <Eigen/Core>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "engine/device.h"
#ifdef YE_WITH_CUDA
#include "bench/common/cuda/gpu_ceilings.h"
#endif

namespace ye::bench {

std::string ceilings_to_json(const Ceilings& c) {
  nlohmann::json j = {{"gpu_name", c.gpu_name},         {"gpu_copy_gbs", c.gpu_copy_gbs},
                      {"gpu_f16_tflops", c.gpu_f16_tflops}, {"gpu_f32_tflops", c.gpu_f32_tflops},
                      {"gpu_tf32_tflops", c.gpu_tf32_tflops}, {"gpu_l2_bytes", c.gpu_l2_bytes},
                      {"cpu_copy_gbs", c.cpu_copy_gbs},     {"cpu_f32_tflops", c.cpu_f32_tflops}};
  return j.dump(2);
}

Ceilings ceilings_from_json(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  Ceilings c;
  c.gpu_name = j.value("gpu_name", std::string());
  c.gpu_copy_gbs = j.value("gpu_copy_gbs", 0.0);
  c.gpu_f16_tflops = j.value("gpu_f16_tflops", 0.0);
  c.gpu_f32_tflops = j.value("gpu_f32_tflops", 0.0);
  c.gpu_tf32_tflops = j.value("gpu_tf32_tflops", 0.0);
  c.gpu_l2_bytes = j.value("gpu_l2_bytes", 0.0);
  c.cpu_copy_gbs = j.value("cpu_copy_gbs", 0.0);
  c.cpu_f32_tflops = j.value("cpu_f32_tflops", 0.0);
  return c;
}

double ceiling_of(const Ceilings& c, const RowWork& w) {
  if (w.where == Where::cpu) return w.kind == Work::bytes ? c.cpu_copy_gbs : c.cpu_f32_tflops;
  if (w.kind == Work::bytes) return c.gpu_copy_gbs;
  if (w.dtype == DType::f32) return w.tf32 ? c.gpu_tf32_tflops : c.gpu_f32_tflops;
  return c.gpu_f16_tflops;
}

std::string ceiling_name(const RowWork& w) {
  if (w.where == Where::cpu) return w.kind == Work::bytes ? "cpu_copy" : "cpu_gemm_f32";
  if (w.kind == Work::bytes) return "gpu_copy";
  if (w.dtype == DType::f32) return w.tf32 ? "gemm_tf32" : "gemm_f32";
  return "gemm_f16";
}

void report(benchmark::State& st, const Ceilings& c, const RowWork& w, double seconds, const std::string& label) {
  if (st.error_occurred() || seconds <= 0) return;
  const double per_second = w.amount * double(st.iterations()) / seconds;
  const double achieved = w.kind == Work::bytes ? per_second / 1e9 : per_second / 1e12;
  st.counters[w.kind == Work::bytes ? "GB/s" : "TFLOP/s"] = achieved;
  const double ceiling = ceiling_of(c, w);
  if (ceiling > 0) st.counters["pct_ceiling"] = 100.0 * achieved / ceiling;
  st.SetLabel(label + " vs " + ceiling_name(w));
}

void measure_cpu_ceilings(Ceilings& c) {
  using clock = std::chrono::steady_clock;
  const size_t bytes = size_t(256) << 20;
  std::vector<char> a(bytes, 1), b(bytes, 2);
  std::memcpy(b.data(), a.data(), bytes);
  double best = 1e30;
  for (int r = 0; r < 8; ++r) {
    auto t0 = clock::now();
    std::memcpy(r % 2 ? a.data() : b.data(), r % 2 ? b.data() : a.data(), bytes);
    best = std::min(best, std::chrono::duration<double>(clock::now() - t0).count());
  }
  c.cpu_copy_gbs = 2.0 * double(bytes) / best / 1e9;
  const int n = 1024;
  Eigen::MatrixXf x = Eigen::MatrixXf::Random(n, n), y = Eigen::MatrixXf::Random(n, n), z(n, n);
  z.noalias() = x * y;
  best = 1e30;
  for (int r = 0; r < 3; ++r) {
    auto t0 = clock::now();
    z.noalias() = x * y;
    best = std::min(best, std::chrono::duration<double>(clock::now() - t0).count());
  }
  benchmark::DoNotOptimize(z.data());
  c.cpu_f32_tflops = 2.0 * double(n) * n * n / best / 1e12;
}

double time_cpu(benchmark::State& st, const std::function<void()>& body) {
  body();
  std::vector<char> flush(size_t(64) << 20);
  double total = 0;
  int rep = 0;
  for (auto _ : st) {
    std::memset(flush.data(), ++rep & 0xff, flush.size());
    benchmark::DoNotOptimize(flush.data());
    auto t0 = std::chrono::steady_clock::now();
    body();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    st.SetIterationTime(s);
    total += s;
  }
  return total;
}

std::vector<float> random_values(size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) {
    x = u(rng);
    if (x == 0.f) x = hi / 2;
  }
  return v;
}

std::string compare(const std::vector<float>& got, const std::vector<float>& ref, double atol, double rtol,
                    const std::string& what, size_t allowed) {
  if (got.size() != ref.size())
    return what + ": " + std::to_string(got.size()) + " values, reference has " + std::to_string(ref.size());
  size_t bad = 0, worst = 0;
  double worst_excess = -1;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(double(got[i]) - double(ref[i]));
    const double excess = err - (atol + rtol * std::fabs(double(ref[i])));
    if (!(excess <= 0)) {
      ++bad;
      if (!(excess <= worst_excess)) worst_excess = excess, worst = i;
    }
  }
  if (bad <= allowed) return "";
  std::ostringstream m;
  m << what << ": " << bad << " of " << got.size() << " values differ from the CPU reference (worst at " << worst
    << ": " << got[worst] << " vs " << ref[worst] << ", atol " << atol << " rtol " << rtol << ")";
  return m.str();
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::fabs(x)));
  return m;
}

void guarded(benchmark::State& st, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
  }
}

benchmark::internal::Benchmark* add_row(const std::string& name, std::function<void(benchmark::State&)> body) {
  return benchmark::RegisterBenchmark(name.c_str(), [body](benchmark::State& st) { guarded(st, [&] { body(st); }); })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

namespace {
// A row error other than "unsupported: ..." (an alternative that does not exist for the case).
bool is_failure(const benchmark::BenchmarkReporter::Run& r) {
  return r.error_occurred && r.error_message.rfind("unsupported", 0) != 0;
}

// Discards everything: the reporter of ranks other than 0 in a distributed launch.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (is_failure(r)) ++errors;
  }
  int errors = 0;
};

// Counts rows that reported an error, forwarding everything to the normal console reporter.
class ErrorCountingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (is_failure(r)) ++errors;
    ConsoleReporter::ReportRuns(runs);
  }
  int errors = 0;
};

Ceilings load_or_measure_ceilings(bool have_cuda) {
  if (const char* path = std::getenv("YE_BENCH_CEILINGS"); path && *path) {
    std::ifstream f(path);
    std::stringstream text;
    text << f.rdbuf();
    if (f) return ceilings_from_json(text.str());
  }
  Ceilings c;
  measure_cpu_ceilings(c);
#ifdef YE_WITH_CUDA
  if (have_cuda) measure_gpu_ceilings(c);
#endif
  return c;
}
}  // namespace

int run_suite(int argc, char** argv, const Register& cpu_rows, const Register& cuda_rows) {
  Options opt;
  const char* rank = std::getenv("RANK");
  const bool quiet_rank = rank && std::atoi(rank) > 0;  // a distributed launch: rank 0 alone reports
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ye_short") == 0) {
      opt.short_mode = true;
      continue;
    }
    if (quiet_rank && std::strncmp(argv[i], "--benchmark_out", 15) == 0) continue;
    args.push_back(argv[i]);
  }
  if (const char* s = std::getenv("YE_BENCH_SHORT"); s && std::strcmp(s, "1") == 0) opt.short_mode = true;
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  opt.have_cuda = cuda_rows && cuda_device_count() > 0;
  opt.ceilings = load_or_measure_ceilings(opt.have_cuda && !quiet_rank);  // rank 0 alone measures the GPU
  benchmark::AddCustomContext("ceilings", ceilings_to_json(opt.ceilings));
  benchmark::AddCustomContext("short_mode", opt.short_mode ? "1" : "0");
  if (cpu_rows) cpu_rows(opt);
  if (opt.have_cuda) cuda_rows(opt);
  if (quiet_rank) {
    SilentReporter display;
    benchmark::RunSpecifiedBenchmarks(&display);
    benchmark::Shutdown();
    return display.errors ? 1 : 0;
  }
  ErrorCountingReporter console;
  benchmark::RunSpecifiedBenchmarks(&console);
  benchmark::Shutdown();
  return console.errors ? 1 : 0;
}

}  // namespace ye::bench
