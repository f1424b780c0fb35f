// Lifetime-planned graph pools (engine/step_graph.h, engine/cuda/caching_allocator.h): a captured chain
// with held and short-lived temporaries replays the eager result bit for bit from a planned arena that
// holds less than the size-class pool; YE_MEMORY_PLAN=0 keeps the cache; a trace that diverges falls
// back to the cache without handing out overlapping blocks, and a released arena goes back to the driver.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "common/harness.h"
#include "engine/allocator.h"
#include "engine/ops.h"
#include "engine/step_graph.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#endif

using namespace ye;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A forward-like chain: every stage keeps one tensor to the end (a saved activation) and makes a
// short-lived scratch of its own size class; the kept ones are summed into `out`.
void chain(const Tensor& x, const Tensor& out) {
  std::vector<Tensor> held;
  Tensor h = x;
  for (int i = 0; i < 12; ++i) {
    Tensor scratch = Tensor::empty({int64_t(60000 + 9000 * i)}, DType::f32, x.device());
    ops::fill_(scratch, float(i));
    h = ops::silu(ops::affine(h, 1.01f, 0.05f * float(i)));
    held.push_back(ops::mul(h, h));
  }
  Tensor acc = held[0];
  for (size_t i = 1; i < held.size(); ++i) acc = ops::add(acc, held[i]);
  ops::copy_(out, acc);
}

}  // namespace

TEST_CASE("a planned graph pool replays the eager chain bitwise from a smaller arena") {
  const Device dev = Device::cuda(0);
  Generator gen(11);
  Tensor x = Tensor::empty({4096, 24}, DType::f32, dev), out = Tensor::empty({4096, 24}, DType::f32, dev);
  ops::uniform_(x, -1, 1, gen);
  chain(x, out);
  const std::vector<float> eager = out.to_vector();

  StepGraph graph;
  std::string why;
  REQUIRE_MESSAGE(graph.capture(dev, [&] { chain(x, out); }, &why), why);
  const StepGraph::MemoryPlanStats& plan = graph.memory_plan();
  MESSAGE("allocations ", plan.allocations, ", arena ", plan.arena_bytes, " B, live peak ", plan.live_peak_bytes,
          " B, size-class pool ", plan.cached_pool_bytes, " B");
  CHECK(plan.planned);
  CHECK_FALSE(plan.diverged);
  CHECK(plan.allocations >= 12 * 4);
  CHECK(plan.placed == plan.allocations);
  CHECK(plan.arena_bytes >= plan.live_peak_bytes);
  CHECK(plan.arena_bytes < plan.cached_pool_bytes);
  CHECK(graph.pool_bytes() >= plan.arena_bytes);

  ops::fill_(out, std::nanf(""));
  graph.replay();
  CHECK(same_bits(out.to_vector(), eager));
  ops::uniform_(x, -2, 2, gen);  // new input in the same buffer: the replay follows it
  Tensor ref = Tensor::empty(out.shape(), DType::f32, dev);
  chain(x, ref);
  ops::fill_(out, std::nanf(""));
  graph.replay();
  CHECK(same_bits(out.to_vector(), ref.to_vector()));
}

TEST_CASE("YE_MEMORY_PLAN=0 records once into the size-class pool") {
  const Device dev = Device::cuda(0);
  Tensor x = Tensor::full({1024, 8}, 0.5f, DType::f32, dev), out = Tensor::empty({1024, 8}, DType::f32, dev);
  setenv("YE_MEMORY_PLAN", "0", 1);
  StepGraph graph;
  std::string why;
  const bool ok = graph.capture(dev, [&] { chain(x, out); }, &why);
  unsetenv("YE_MEMORY_PLAN");
  REQUIRE_MESSAGE(ok, why);
  CHECK_FALSE(graph.memory_plan().planned);
  CHECK(graph.memory_plan().allocations == 0);
  CHECK(graph.pool_bytes() > 0);
  graph.replay();
  Tensor ref = Tensor::empty(out.shape(), DType::f32, dev);
  chain(x, ref);
  CHECK(same_bits(out.to_vector(), ref.to_vector()));
}

#ifdef YE_WITH_CUDA
TEST_CASE("a planned pool whose events leave the trace falls back to the cache; its arena is freed on release") {
  cuda::DeviceContext& ctx = cuda::context(0);
  cuda::CachingAllocator& a = ctx.allocator;
  const int traced = a.new_pool_id();
  a.begin_traced_pool(traced, ctx.stream);
  void* p0 = a.allocate(1 << 20, ctx.stream);
  void* p1 = a.allocate(3 << 20, ctx.stream);
  a.free(p0);
  void* p2 = a.allocate(1 << 20, ctx.stream);
  const std::vector<MemoryEvent> trace = a.end_pool_trace();
  REQUIRE(trace.size() == 4);
  CHECK(trace[2].is_free);
  CHECK(trace[2].index == 0);
  a.free(p1), a.free(p2);
  a.release_pool(traced);

  const MemoryPlan plan = plan_by_lifetime(trace);
  CHECK(plan.arena_bytes == (4u << 20));  // p2 takes p0's place
  const size_t reserved_before = allocator_stats(Device::cuda(0)).bytes_reserved;
  const int planned = a.new_pool_id();
  a.begin_planned_pool(planned, ctx.stream, trace, plan);
  void* q0 = a.allocate(1 << 20, ctx.stream);         // as traced: from the arena
  void* q1 = a.allocate(2 << 20, ctx.stream);         // not the traced 3 MiB: the plan stops here
  void* q2 = a.allocate(1 << 20, ctx.stream);         // from the cache, not p0's planned place
  a.end_pool();
  const cuda::CachingAllocator::PlanUse use = a.plan_use(planned);
  CHECK(use.planned == 1);
  CHECK(use.diverged);
  CHECK(use.arena_bytes == plan.arena_bytes);
  auto* b0 = static_cast<char*>(q0);
  for (void* q : {q1, q2}) {
    auto* b = static_cast<char*>(q);
    CHECK((b + (1 << 20) <= b0 || b >= b0 + (1 << 20)));  // no block overlaps the live arena block
  }
  CHECK(allocator_stats(Device::cuda(0)).bytes_reserved >= reserved_before + plan.arena_bytes);
  a.free(q1), a.free(q2);
  a.release_pool(planned);
  const size_t with_arena = allocator_stats(Device::cuda(0)).bytes_reserved;
  a.free(q0);  // the arena's last live block: the released arena goes back to the driver
  CHECK(allocator_stats(Device::cuda(0)).bytes_reserved == with_arena - plan.arena_bytes);
}
#endif
