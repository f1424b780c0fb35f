// StepGraph: CUDA-graph capture and replay on the device's compute stream with a private allocator
// pool (engine/cuda/caching_allocator.h); the CPU build reports that capture is unavailable.
#include "engine/step_graph.h"

#include <cstdlib>

#include "kernels/error.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#endif

namespace ye {

struct StepGraph::Impl {
  Device device = Device::cpu();
#ifdef YE_WITH_CUDA
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  int pool = 0;
  size_t nodes = 0;
#endif
};

StepGraph::StepGraph() : impl_(std::make_unique<Impl>()) {}
StepGraph::~StepGraph() { reset(); }

bool step_graphs_enabled() {
  const char* v = std::getenv("YE_CUDA_GRAPH");
  return !(v && v[0] == '0');
}

#ifdef YE_WITH_CUDA
bool StepGraph::capture(Device device, const std::function<void()>& work, std::string* why) {
  reset();
  if (!device.is_cuda()) {
    if (why) *why = "graph capture needs a CUDA device";
    return false;
  }
  cuda::DeviceContext& ctx = cuda::context(device.index);
  cuda::set_device(device.index);
  impl_->device = device;
  impl_->pool = ctx.allocator.new_pool_id();
  YE_CUDA_CHECK(cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeRelaxed));
  ctx.allocator.begin_pool(impl_->pool);
  ctx.begin_capture();
  std::string failure;
  try {
    work();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  ctx.end_capture();
  ctx.allocator.end_pool();
  cudaGraph_t graph = nullptr;
  cudaError_t end = cudaStreamEndCapture(ctx.stream, &graph);
  if (failure.empty() && end != cudaSuccess) failure = std::string("capture ended with ") + cudaGetErrorString(end);
  if (failure.empty()) {
    cudaError_t inst = cudaGraphInstantiate(&impl_->exec, graph, 0);
    if (inst != cudaSuccess) failure = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(inst);
  }
  cudaGetLastError();  // clears the (non-sticky) error a forbidden call inside the capture left
  if (!failure.empty()) {
    if (graph) cudaGraphDestroy(graph);
    impl_->exec = nullptr;
    reset();
    if (why) *why = failure;
    return false;
  }
  impl_->graph = graph;
  YE_CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &impl_->nodes));
  YE_CUDA_CHECK(cudaGraphUpload(impl_->exec, ctx.stream));
  return true;
}

bool StepGraph::captured() const { return impl_->exec != nullptr; }

void StepGraph::replay() {
  YE_CHECK(captured(), "StepGraph::replay before a successful capture");
  YE_CUDA_CHECK(cudaGraphLaunch(impl_->exec, cuda::context(impl_->device.index).stream));
}

void StepGraph::reset() {
  if (!impl_->device.is_cuda()) return;
  cuda::DeviceContext& ctx = cuda::context(impl_->device.index);
  if (impl_->exec) {
    // Replays still in flight read the pool's blocks: wait before handing them back.
    YE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    cudaGraphExecDestroy(impl_->exec);
  }
  if (impl_->graph) cudaGraphDestroy(impl_->graph);
  if (impl_->pool) ctx.allocator.release_pool(impl_->pool);
  impl_->exec = nullptr;
  impl_->graph = nullptr;
  impl_->pool = 0;
  impl_->nodes = 0;
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
void StepGraph::reset() {}
size_t StepGraph::pool_bytes() const { return 0; }
size_t StepGraph::num_nodes() const { return 0; }
#endif

}  // namespace ye
