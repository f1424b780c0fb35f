// Gradient buckets: the plan (reverse module order, the 1 MB / 25 MB greedy sizes, ranges that cover
// the gradient arena exactly) and the reducer's launch rules, with a recording communicator: buckets
// go out during backward as soon as their gradients are final (before earlier layers' gradients
// exist), strictly in bucket order (a parameter without a gradient holds later buckets until finish).
#include <algorithm>

#include "common/harness.h"
#include "engine/autograd.h"
#include "engine/dist/grad_buckets.h"
#include "engine/ops.h"

using namespace ye;

namespace {
// Grouped like the detection model's arena: every bias, then every conv weight, then every BN weight.
std::vector<std::pair<std::string, Tensor>> grouped_params(int layers) {
  std::vector<std::pair<std::string, Tensor>> b, w, g;
  for (int i = 0; i < layers; ++i) {
    b.push_back({"model." + std::to_string(i) + ".bn.bias", Tensor::zeros({int64_t(10 * (i + 1))})});
    w.push_back({"model." + std::to_string(i) + ".conv.weight", Tensor::zeros({int64_t(100 * (i + 1)), 1})});
    g.push_back({"model." + std::to_string(i) + ".bn.weight", Tensor::zeros({int64_t(10 * (i + 1))})});
  }
  b.insert(b.end(), w.begin(), w.end());
  b.insert(b.end(), g.begin(), g.end());
  return b;
}

int module_of(const std::string& name) { return std::stoi(name.substr(6)); }

// Records each launched bucket (its first range's start) and a snapshot of the whole gradient arena.
class RecordingComm final : public dist::Communicator {
 public:
  explicit RecordingComm(const Tensor& grads) : grads_(grads) {}
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  Device device() const override { return Device::cpu(); }
  const char* backend() const override { return "recording"; }
  void all_reduce(const Tensor&, dist::ReduceOp) override {}
  void broadcast(const Tensor&, int) override {}
  void all_reduce_async(const std::vector<Tensor>& parts, dist::ReduceOp) override {
    starts.push_back(parts.front().offset());
    snapshots.push_back(grads_.to_vector());
  }
  void wait_async() override { ++waits; }
  void barrier() override {}
  double all_reduce_host(double v, dist::HostOp) override { return v; }
  void shutdown() override {}
  std::vector<int64_t> starts;
  std::vector<std::vector<float>> snapshots;
  int waits = 0;

 private:
  Tensor grads_;
};
}  // namespace

TEST_CASE("bucket plan: reverse module order, greedy sizes, exact cover of the gradient arena") {
  ParameterArena arena;
  arena.adopt(grouped_params(6), Device::cpu());
  std::vector<size_t> order = dist::reverse_module_order(arena);
  const auto& e = arena.entries();
  REQUIRE(order.size() == e.size());
  for (size_t k = 1; k < order.size(); ++k) CHECK(module_of(e[order[k - 1]].name) >= module_of(e[order[k]].name));
  CHECK(e[order[0]].name == "model.5.bn.weight");  // last module, last in the arena first
  CHECK(e[order.back()].name == "model.0.bn.bias");

  const int64_t first_cap = 300, cap = 700;  // elements
  auto buckets = dist::plan_grad_buckets(arena, order, first_cap * 4, cap * 4);
  REQUIRE(buckets.size() >= 3);
  std::vector<std::pair<int64_t, int64_t>> all;
  size_t entries = 0;
  for (size_t k = 0; k < buckets.size(); ++k) {
    const auto& b = buckets[k];
    int64_t covered = 0;
    for (auto [lo, hi] : b.ranges) covered += hi - lo, all.push_back({lo, hi});
    CHECK(covered == b.numel);
    CHECK(b.ranges.size() <= 3);  // one run per parameter group at most
    int64_t limit = k == 0 ? first_cap : cap;
    if (k + 1 < buckets.size()) CHECK(b.numel >= limit);
    entries += b.entries.size();
    // Greedy: without its last entry the bucket was still below its cap.
    const auto& last = e[b.entries.back()];
    int64_t last_extent = (last.numel + ParameterArena::kAlign - 1) / ParameterArena::kAlign * ParameterArena::kAlign;
    CHECK(b.numel - last_extent < limit);
    if (k > 0)
      for (size_t i : b.entries)
        for (size_t j : buckets[k - 1].entries) CHECK(module_of(e[i].name) <= module_of(e[j].name));
  }
  CHECK(entries == e.size());
  std::sort(all.begin(), all.end());
  CHECK(all.front().first == 0);
  CHECK(all.back().second == arena.total());
  for (size_t k = 1; k < all.size(); ++k) CHECK(all[k].first == all[k - 1].second);

  auto one = dist::plan_grad_buckets(arena, order);  // the default 1 MB first bucket holds all of this
  CHECK(one.size() == 1);
  CHECK(one[0].ranges == std::vector<std::pair<int64_t, int64_t>>{{0, arena.total()}});
  CHECK_THROWS_AS(dist::plan_grad_buckets(arena, std::vector<size_t>(e.size(), 0)), Error);
}

namespace {
// model.i.w for i < layers (a chain x*w0*w1*...), plus optionally an unused model.<layers>.u.
struct Chain {
  ParameterArena arena;
  Tensor run(const Tensor& x, int layers) {
    Tensor y = x;
    for (int i = 0; i < layers; ++i) y = ops::mul(y, arena.entries()[size_t(i)].param);
    return ops::sum(y);
  }
};
}  // namespace

TEST_CASE("reducer: buckets launch during backward, last layer first, before earlier gradients exist") {
  const int layers = 4;
  Chain c;
  std::vector<std::pair<std::string, Tensor>> named;
  for (int i = 0; i < layers; ++i)
    named.push_back({"model." + std::to_string(i) + ".w", Tensor::from_vector({1.5f, 2.0f}, {2})});
  c.arena.adopt(named, Device::cpu());
  auto buckets = dist::plan_grad_buckets(c.arena, dist::reverse_module_order(c.arena), 4, 4);  // one per param
  REQUIRE(buckets.size() == layers);
  RecordingComm comm(c.arena.grads());
  dist::GradReducer reducer(comm, c.arena, buckets);
  Tensor x = Tensor::from_vector({1.0f, 1.0f}, {2});

  reducer.begin(true);
  c.run(x, layers).backward();
  CHECK(reducer.launched_in_backward() == layers);
  reducer.finish();
  CHECK(comm.waits == 1);
  REQUIRE(comm.starts.size() == size_t(layers));
  for (int k = 0; k < layers; ++k) CHECK(comm.starts[size_t(k)] == c.arena.entries()[size_t(layers - 1 - k)].offset);
  // When model.3's bucket went out, model.0's gradient was not computed yet.
  int64_t w0 = c.arena.entries()[0].offset;
  CHECK(comm.snapshots[0][size_t(w0)] == 0.0f);
  CHECK(comm.snapshots.back()[size_t(w0)] != 0.0f);

  // sync = false (an accumulation micro-batch): nothing is communicated.
  reducer.begin(false);
  c.run(x, layers).backward();
  reducer.finish();
  CHECK(comm.starts.size() == size_t(layers));
  CHECK(comm.waits == 1);
}

TEST_CASE("reducer: a parameter without a gradient holds the later buckets until finish, order kept") {
  const int layers = 3;
  Chain c;
  std::vector<std::pair<std::string, Tensor>> named;
  for (int i = 0; i < layers; ++i)
    named.push_back({"model." + std::to_string(i) + ".w", Tensor::from_vector({1.5f, 2.0f}, {2})});
  named.push_back({"model.9.unused", Tensor::from_vector({1.0f}, {1})});  // last module: the first bucket
  c.arena.adopt(named, Device::cpu());
  auto buckets = dist::plan_grad_buckets(c.arena, dist::reverse_module_order(c.arena), 4, 4);
  REQUIRE(buckets.size() == layers + 1);
  RecordingComm comm(c.arena.grads());
  dist::GradReducer reducer(comm, c.arena, buckets);
  reducer.begin(true);
  c.run(Tensor::from_vector({1.0f, 1.0f}, {2}), layers).backward();
  CHECK(reducer.launched_in_backward() == 0);
  reducer.finish();
  REQUIRE(comm.starts.size() == size_t(layers + 1));
  CHECK(comm.starts[0] == c.arena.entries()[layers].offset);
  for (int k = 1; k <= layers; ++k) CHECK(comm.starts[size_t(k)] == c.arena.entries()[size_t(layers - k)].offset);
}

TEST_CASE("reducer removes its hooks; a second reducer on the same arena is refused while one lives") {
  Chain c;
  c.arena.adopt({{"model.0.w", Tensor::from_vector({1.0f}, {1})}}, Device::cpu());
  RecordingComm comm(c.arena.grads());
  auto plan = dist::plan_grad_buckets(c.arena, dist::reverse_module_order(c.arena));
  {
    dist::GradReducer a(comm, c.arena, plan);
    CHECK_THROWS_WITH_AS(dist::GradReducer(comm, c.arena, plan), doctest::Contains("already has a ready hook"), Error);
  }
  CHECK_FALSE(c.arena.entries()[0].param.impl()->autograd->on_grad_ready);
  dist::GradReducer again(comm, c.arena, plan);
}

TEST_CASE("autograd on_grad_ready: once per backward, after the last of several contributions") {
  Tensor w = Tensor::from_vector({2.0f, 3.0f}, {2}).set_requires_grad(true);
  Tensor unused_path = Tensor::from_vector({1.0f}, {1}).set_requires_grad(true);
  std::vector<std::vector<float>> seen;
  w.impl()->autograd->on_grad_ready = [&] { seen.push_back(w.grad().to_vector()); };
  int unused_calls = 0;
  unused_path.impl()->autograd->on_grad_ready = [&] { ++unused_calls; };
  Tensor x = Tensor::from_vector({1.0f, 10.0f}, {2});
  // w feeds three ops: d/dw sum(x*w + x*w*w) = x + 2*x*w.
  Tensor loss = ops::sum(ops::add(ops::mul(x, w), ops::mul(ops::mul(x, w), w)));
  loss.backward();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::vector<float>{1.0f + 2.0f * 2.0f, 10.0f + 20.0f * 3.0f});
  CHECK(unused_calls == 0);  // not reached by this graph
  ops::sum(ops::mul(x, w)).backward();
  CHECK(seen.size() == 2);  // and again in the next pass
}
