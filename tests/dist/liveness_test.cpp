// LivenessWatch (engine/dist/liveness.h) with its ranks as threads of this process on 127.0.0.1: beats
// flow and ranks that finish (at different times) are not reported; a rank whose beats stop is
// reported after the timeout with its last payload, a rank whose links close without a bye at once;
// rank 0 silent is reported by the others; the data group forms on the same port afterwards.
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "common/harness.h"
#include "dist/dist_test_util.h"
#include "engine/dist/liveness.h"
#include "kernels/error.h"

using namespace ye;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
// What the handlers were told: (watching rank, lost rank report), in order.
class Reports {
 public:
  std::function<void(const dist::LostPeer&)> handler(int watcher) {
    return [this, watcher](const dist::LostPeer& lost) {
      std::lock_guard<std::mutex> lock(mutex_);
      got_.push_back({watcher, lost});
      changed_.notify_all();
    };
  }
  // Waits until at least n reports came in or `limit` passed; returns a copy of them.
  std::vector<std::pair<int, dist::LostPeer>> wait_for(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<int, dist::LostPeer>> got_;
};

// A rank's payload: a beat counter, held back (no more beats) while `frozen`.
struct Beats {
  std::atomic<bool> frozen{false};
  std::atomic<int64_t> sent{0};
  void write(std::span<std::byte> out) {
    while (frozen.load()) std::this_thread::sleep_for(5ms);
    int64_t n = sent.load() + 1;
    std::memcpy(out.data(), &n, sizeof n);
    sent.store(n);
  }
};

int64_t counter_of(const dist::LostPeer& lost) {
  int64_t n = -1;
  if (lost.last_payload.size() == sizeof n) std::memcpy(&n, lost.last_payload.data(), sizeof n);
  return n;
}

// The watches of a group of `world` ranks, formed concurrently (each rank's constructor meets the others).
std::vector<std::unique_ptr<dist::LivenessWatch>> form_watches(int world, int port, Reports& reports,
                                                               std::vector<Beats>& beats,
                                                               std::chrono::milliseconds timeout) {
  std::vector<std::unique_ptr<dist::LivenessWatch>> watches(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      dist::LivenessOptions o;
      o.interval = 50ms;
      o.timeout = timeout;
      o.payload_bytes = sizeof(int64_t);
      o.write_payload = [&beats, r](std::span<std::byte> out) { beats[size_t(r)].write(out); };
      o.on_lost = reports.handler(r);
      watches[size_t(r)] = std::make_unique<dist::LivenessWatch>(test::local_env(r, world, port), 10s, std::move(o));
    });
  for (auto& t : threads) t.join();
  return watches;
}
}  // namespace

TEST_CASE("LivenessWatch: beats keep 3 ranks watched past the timeout; ranks that finish early are not reported") {
  Reports reports;
  std::vector<Beats> beats(3);
  auto watches = form_watches(3, dist::free_tcp_port(), reports, beats, 500ms);
  std::this_thread::sleep_for(1200ms);  // beyond the timeout: only beats keep them quiet
  CHECK(beats[0].sent.load() >= 5);
  CHECK(beats[2].sent.load() >= 5);
  watches[2]->finish();  // rank 2 ends first; rank 0 stops watching it, before and after its link closes
  watches[2].reset();
  std::this_thread::sleep_for(800ms);
  watches[1]->finish();
  watches[1]->finish();  // a second call does nothing
  watches[1].reset();
  std::this_thread::sleep_for(300ms);
  watches[0]->finish();
  CHECK(reports.wait_for(1, 100ms).empty());
}

TEST_CASE("LivenessWatch: a rank whose beats stop is reported after the timeout with its last payload") {
  Reports reports;
  std::vector<Beats> beats(3);
  auto watches = form_watches(3, dist::free_tcp_port(), reports, beats, 600ms);
  std::this_thread::sleep_for(300ms);
  beats[1].frozen.store(true);  // rank 1's thread hangs in its payload: hung, links still open
  auto frozen_at = Clock::now();
  auto got = reports.wait_for(1, 5s);
  auto after = Clock::now() - frozen_at;
  REQUIRE(got.size() == 1);
  CHECK(got[0].first == 0);  // rank 0 watches every rank
  const dist::LostPeer& lost = got[0].second;
  CHECK(lost.rank == 1);
  CHECK_FALSE(lost.hung_up);
  CHECK(lost.any_beat);
  CHECK(lost.silent_s >= 0.6);
  CHECK(counter_of(lost) == beats[1].sent.load());  // the last beat it sent before hanging
  CHECK(after >= 550ms);
  CHECK(after < 2s);
  std::this_thread::sleep_for(700ms);  // rank 2 is still watched and beating: no second report
  CHECK(reports.wait_for(2, 1ms).size() == 1);
  beats[1].frozen.store(false);
  watches[1]->finish();
  watches[2]->finish();
  watches[0]->finish();
  CHECK(reports.wait_for(2, 100ms).size() == 1);
}

TEST_CASE("LivenessWatch: a rank that ends without finish() is reported at once, as hung up") {
  Reports reports;
  std::vector<Beats> beats(2);
  auto watches = form_watches(2, dist::free_tcp_port(), reports, beats, 10s);
  std::this_thread::sleep_for(200ms);
  auto closed_at = Clock::now();
  watches[1].reset();  // its links close without a bye, as when its process dies
  auto got = reports.wait_for(1, 5s);
  REQUIRE(got.size() == 1);
  CHECK(Clock::now() - closed_at < 1s);
  CHECK(got[0].first == 0);
  CHECK(got[0].second.rank == 1);
  CHECK(got[0].second.hung_up);
  CHECK(got[0].second.any_beat);
  CHECK(got[0].second.silent_s < 1.0);
  watches[0]->finish();
}

TEST_CASE("LivenessWatch: rank 0 silent is reported by the other ranks") {
  Reports reports;
  std::vector<Beats> beats(3);
  auto watches = form_watches(3, dist::free_tcp_port(), reports, beats, 600ms);
  std::this_thread::sleep_for(200ms);
  beats[0].frozen.store(true);
  auto got = reports.wait_for(2, 5s);
  REQUIRE(got.size() == 2);
  for (const auto& [watcher, lost] : got) {
    CHECK((watcher == 1 || watcher == 2));
    CHECK(lost.rank == 0);
    CHECK_FALSE(lost.hung_up);
    CHECK(counter_of(lost) == beats[0].sent.load());
  }
  CHECK(got[0].first != got[1].first);
  beats[0].frozen.store(false);
  watches[0]->finish();  // the hung rank first: the others no longer watch it
  watches[1]->finish();
  watches[2]->finish();
}

TEST_CASE("LivenessWatch: the data group then forms on the same port; beat sizes must agree") {
  for (int round = 0; round < 3; ++round) {
    int port = dist::free_tcp_port();
    Reports reports;
    std::vector<Beats> beats(3);
    auto watches = form_watches(3, port, reports, beats, 5s);
    std::vector<double> sums(3);
    std::vector<std::string> errors(3);
    std::vector<std::thread> ranks;
    for (int r = 0; r < 3; ++r)
      ranks.emplace_back([&, r] {
        errors[size_t(r)] = test::error_text([&] {
          auto comm = dist::make_tcp_communicator(test::local_env(r, 3, port), 10s);
          sums[size_t(r)] = comm->all_reduce_host(double(r + 1), dist::HostOp::sum);
          comm->shutdown();
        });
      });
    for (auto& t : ranks) t.join();
    for (int r = 0; r < 3; ++r) {
      CHECK(errors[size_t(r)] == "");
      CHECK(sums[size_t(r)] == 6.0);
    }
    for (int r = 2; r >= 0; --r) watches[size_t(r)]->finish();
    CHECK(reports.wait_for(1, 1ms).empty());
  }

  int port = dist::free_tcp_port();
  std::vector<std::string> errors(2);
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.emplace_back([&, r] {
      errors[size_t(r)] = test::error_text([&] {
        dist::LivenessOptions o;
        o.payload_bytes = size_t(8 * (r + 1));
        o.write_payload = [](std::span<std::byte> out) { std::memset(out.data(), 0, out.size()); };
        o.on_lost = [](const dist::LostPeer&) {};
        dist::LivenessWatch w(test::local_env(r, 2, port), 10s, std::move(o));
      });
    });
  for (auto& t : ranks) t.join();
  for (const std::string& e : errors)
    CHECK(e.find("the ranks' liveness beats differ in size (8 to 16") != std::string::npos);
}
