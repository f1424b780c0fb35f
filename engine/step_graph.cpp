// StepGraph: CUDA-graph capture and replay on the device's compute stream with a private allocator
// pool (engine/cuda/caching_allocator.h), recorded twice to plan that pool by lifetime; the CPU build
// reports that capture is unavailable.
#include "engine/step_graph.h"

#include <cstdlib>

#include "engine/memory_plan.h"
#include "kernels/error.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#endif

namespace ye {

struct StepGraph::Impl {
  Device device = Device::cpu();
  MemoryPlanStats plan;
#ifdef YE_WITH_CUDA
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  int pool = 0;
  size_t nodes = 0;

  // How the recording's pool is set up: a size-class cache, traced into `trace_out`, or `plan`ned.
  struct PoolSetup {
    std::vector<MemoryEvent>* trace_out = nullptr;
    const std::vector<MemoryEvent>* trace = nullptr;
    const MemoryPlan* plan = nullptr;
  };
  bool record(const std::function<void()>& work, std::string* why, PoolSetup setup);
  void drop();
#endif
};

StepGraph::StepGraph() : impl_(std::make_unique<Impl>()) {}
StepGraph::~StepGraph() { reset(); }

bool step_graphs_enabled() {
  const char* v = std::getenv("YE_CUDA_GRAPH");
  return !(v && v[0] == '0');
}

bool graph_memory_plans_enabled() {
  const char* v = std::getenv("YE_MEMORY_PLAN");
  return !(v && v[0] == '0');
}

const StepGraph::MemoryPlanStats& StepGraph::memory_plan() const { return impl_->plan; }

#ifdef YE_WITH_CUDA
bool StepGraph::Impl::record(const std::function<void()>& work, std::string* why, PoolSetup setup) {
  cuda::DeviceContext& ctx = cuda::context(device.index);
  pool = ctx.allocator.new_pool_id();
  if (setup.trace_out) {
    ctx.allocator.begin_traced_pool(pool, ctx.stream);
  } else if (setup.plan) {
    ctx.allocator.begin_planned_pool(pool, ctx.stream, *setup.trace, *setup.plan);
  } else {
    ctx.allocator.begin_pool(pool);
  }
  cudaError_t begin = cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeRelaxed);
  std::string failure;
  if (begin == cudaSuccess) {
    ctx.begin_capture();
    try {
      work();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    ctx.end_capture();
  } else {
    failure = std::string("cudaStreamBeginCapture: ") + cudaGetErrorString(begin);
  }
  std::vector<MemoryEvent> trace = ctx.allocator.end_pool_trace();
  if (setup.trace_out) *setup.trace_out = std::move(trace);
  cudaGraph_t recorded = nullptr;
  if (begin == cudaSuccess) {
    cudaError_t end = cudaStreamEndCapture(ctx.stream, &recorded);
    if (failure.empty() && end != cudaSuccess) failure = std::string("capture ended with ") + cudaGetErrorString(end);
  }
  if (failure.empty()) {
    cudaError_t inst = cudaGraphInstantiate(&exec, recorded, 0);
    if (inst != cudaSuccess) failure = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(inst);
  }
  cudaGetLastError();  // clears the (non-sticky) error a forbidden call inside the capture left
  if (!failure.empty()) {
    if (recorded) cudaGraphDestroy(recorded);
    exec = nullptr;
    drop();
    if (why) *why = failure;
    return false;
  }
  graph = recorded;
  YE_CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &nodes));
  YE_CUDA_CHECK(cudaGraphUpload(exec, ctx.stream));
  return true;
}

void StepGraph::Impl::drop() {
  if (!device.is_cuda()) return;
  cuda::DeviceContext& ctx = cuda::context(device.index);
  if (exec) {
    // Replays still in flight read the pool's blocks: wait before handing them back.
    YE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    cudaGraphExecDestroy(exec);
  }
  if (graph) cudaGraphDestroy(graph);
  if (pool) ctx.allocator.release_pool(pool);
  exec = nullptr;
  graph = nullptr;
  pool = 0;
  nodes = 0;
}

bool StepGraph::capture(Device device, const std::function<void()>& work, std::string* why) {
  reset();
  if (!device.is_cuda()) {
    if (why) *why = "graph capture needs a CUDA device";
    return false;
  }
  cuda::set_device(device.index);
  impl_->device = device;
  if (!graph_memory_plans_enabled()) return impl_->record(work, why, {});
  std::vector<MemoryEvent> trace;
  if (!impl_->record(work, why, {&trace})) return false;
  MemoryPlanStats st;
  st.cached_pool_bytes = pool_bytes();
  const MemoryPlan plan = plan_by_lifetime(trace);
  st.allocations = plan.offsets.size(), st.arena_bytes = plan.arena_bytes, st.live_peak_bytes = plan.live_peak_bytes;
  if (plan.arena_bytes >= st.cached_pool_bytes) {  // the cache did as well: keep the first recording
    impl_->plan = st;
    return true;
  }
  impl_->drop();
  cuda::context(device.index).allocator.empty_cache();  // the first recording's blocks go before the arena comes
  if (!impl_->record(work, why, {nullptr, &trace, &plan})) return false;
  const cuda::CachingAllocator::PlanUse use = cuda::context(device.index).allocator.plan_use(impl_->pool);
  st.planned = true, st.placed = use.planned, st.diverged = use.diverged;
  impl_->plan = st;
  return true;
}

bool StepGraph::captured() const { return impl_->exec != nullptr; }

void StepGraph::replay() {
  YE_CHECK(captured(), "StepGraph::replay before a successful capture");
  YE_CUDA_CHECK(cudaGraphLaunch(impl_->exec, cuda::context(impl_->device.index).stream));
}

void StepGraph::reset() {
  impl_->drop();
  impl_->plan = MemoryPlanStats{};
}

size_t StepGraph::pool_bytes() const {
  if (!impl_->pool) return 0;
  return cuda::context(impl_->device.index).allocator.pool_bytes(impl_->pool);
}

size_t StepGraph::num_nodes() const { return impl_->nodes; }
#else
bool StepGraph::capture(Device, const std::function<void()>&, std::string* why) {
  if (why) *why = "graph capture needs the CUDA backend (this build has none)";
  return false;
}
bool StepGraph::captured() const { return false; }
void StepGraph::replay() { YE_FAIL("StepGraph::replay: this build has no CUDA backend"); }
void StepGraph::reset() { impl_->plan = MemoryPlanStats{}; }
size_t StepGraph::pool_bytes() const { return 0; }
size_t StepGraph::num_nodes() const { return 0; }
#endif

}  // namespace ye
