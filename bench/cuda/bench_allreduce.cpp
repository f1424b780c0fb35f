// All-reduce family (CUDA only): ours (dist::Communicator::all_reduce, engine/dist) against raw NCCL
// (ncclAllReduce on a communicator of the same ranks), in place, average (as DDP; the values stay bounded), f32 and f16, over the gradient
// arenas of YOLOv8/YOLO11 n and s and a size sweep. One process per GPU: run alone it is one rank (all
// rows still run); under a launcher (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) each
// process is a rank and only rank 0 reports. Bus bandwidth as nccl-tests defines it: algbw x 2(n-1)/n.
#include <nccl.h>

#include <cstring>
#include <memory>

#include "bench/common/cuda/gpu_loop.h"
#include "bench/common/harness.h"
#include "engine/cuda/context.h"
#include "engine/dist/communicator.h"
#include "engine/ops.h"
#include "kernels/cuda/cuda_check.h"

namespace ye::bench {
namespace {

struct Group {
  dist::DistEnv env;
  Device device;
  std::unique_ptr<dist::Communicator> ours;
  ncclComm_t raw = nullptr;
};

void form_group(Group& g) {
  g.env = dist::read_dist_env();
  g.device = Device::cuda(g.env.local_rank);
  cuda::set_device(g.env.local_rank);
  g.ours = dist::make_communicator(g.env, g.device, dist::dist_timeout());
  ncclUniqueId id{};
  if (g.env.rank == 0) YE_NCCL_CHECK(ncclGetUniqueId(&id));
  static_assert(sizeof(id) % 4 == 0);
  std::vector<float> words(sizeof(id) / 4);
  std::memcpy(words.data(), &id, sizeof(id));
  Tensor t = Tensor::from_vector(words, Shape{int64_t(words.size())}, g.device);
  g.ours->broadcast(t, 0);
  words = t.to_vector();
  std::memcpy(&id, words.data(), sizeof(id));
  YE_NCCL_CHECK(ncclCommInitRank(&g.raw, g.env.world_size, id, g.env.rank));
}

// Rank r's input: values in [0.5, 1.5) from seed r + 1; the expected result is the mean over ranks.
std::vector<float> rank_values(int rank, int64_t n) { return random_values(size_t(n), 0.5f, 1.5f, uint64_t(rank + 1)); }

void all_reduce(Group& g, bool ours, const Tensor& t) {
  if (ours) return g.ours->all_reduce(t, dist::ReduceOp::average);
  const ncclDataType_t type = t.dtype() == DType::f16 ? ncclHalf : ncclFloat;
  YE_NCCL_CHECK(ncclAllReduce(t.data(), t.data(), size_t(t.numel()), type, ncclAvg, g.raw,
                              cuda::context(g.device.index).stream));
}

// Every rank checks the same small case against the host sum; the verdict is agreed by all ranks.
std::string check(Group& g, bool ours, DType t) {
  const int64_t n = 1 << 18;
  Tensor x = Tensor::from_vector(round_to(rank_values(g.env.rank, n), t), Shape{n}, g.device, t);
  all_reduce(g, ours, x);
  std::vector<float> want(size_t(n), 0.f);
  for (int r = 0; r < g.env.world_size; ++r) {
    const std::vector<float> v = round_to(rank_values(r, n), t);
    for (size_t i = 0; i < want.size(); ++i) want[i] += v[i] / float(g.env.world_size);
  }
  std::string err = compare(x.to_vector(), want, 0, t == DType::f16 ? 4e-3 : 1e-5, "all-reduce average");
  const double failed = g.ours->all_reduce_host(err.empty() ? 0 : 1, dist::HostOp::max);
  if (err.empty() && failed > 0) err = "the check failed on another rank";
  return err;
}

struct Size {
  std::string name;
  int64_t elements;
};
std::vector<Size> sizes(bool short_mode) {
  if (short_mode) return {{"v8n_arena", 3157200}};
  return {{"v8n_arena", 3157200},  {"v8s_arena", 11166560}, {"11n_arena", 2624080}, {"11s_arena", 9458752},
          {"1MiB", 1 << 18},        {"16MiB", 1 << 22},       {"64MiB", 1 << 24},     {"256MiB", 1 << 26}};
}

void register_rows(Group& g, const Options& opt) {
  form_group(g);
  const int iterations = opt.short_mode ? 5 : 50;
  const int n = g.env.world_size;
  for (const Size& sz : sizes(opt.short_mode))
    for (DType t : {DType::f32, DType::f16})
      for (bool ours : {true, false}) {
        auto checked = std::make_shared<bool>(false);
        const std::string name = std::string("allreduce/") + (ours ? "ours" : "nccl") + "/" + std::string(dtype_name(t)) +
                                 "/avg_inplace/" + sz.name + "/ranks" + std::to_string(n);
        add_row(name, [&g, ours, t, sz, opt, n, checked](benchmark::State& st) {
          cuda::set_device(g.device.index);
          if (!*checked) {
            const std::string err = check(g, ours, t);
            if (!err.empty()) return st.SkipWithError(err.c_str());
            *checked = true;
          }
          Tensor x = Tensor::from_vector(rank_values(g.env.rank, sz.elements), Shape{sz.elements}, g.device, t);
          GpuLoop loop(cuda::context(g.device.index).stream);
          const double secs = loop.run(st, [&] { all_reduce(g, ours, x); });
          const double bytes = double(x.nbytes());
          const double bus = n > 1 ? 2.0 * (n - 1) / n : 1.0;
          report(st, opt.ceilings, {Where::cuda, Work::bytes, bytes * bus}, secs,
                 (n > 1 ? "busbw " : "1 rank: algbw ") + std::to_string(int64_t(bytes)) + " bytes");
          if (secs > 0) st.counters["algbw_GB/s"] = bytes * double(st.iterations()) / secs / 1e9;
        })->Iterations(iterations);
      }
}

}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
  using namespace ye::bench;
  Group group;
  const int rc = run_suite(argc, argv, nullptr, [&group](const Options& o) { register_rows(group, o); });
  if (group.raw) ncclCommDestroy(group.raw);
  if (group.ours) group.ours->shutdown();
  return rc;
}
