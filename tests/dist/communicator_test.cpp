// The TCP back end of the distributed communicator across real sockets (ranks as threads, and as
// forked processes for a peer that dies or hangs): all_reduce sum/average in f32 and f16, broadcast,
// barrier, host reductions; rendezvous timeouts and dead or hung peers end in clear errors naming
// the rank, never a hang; the environment variables of torchrun, mpirun and Slurm.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>

#include "common/harness.h"
#include "dist/dist_test_util.h"
#include "kernels/error.h"
#include "engine/ops.h"

using namespace ye;
using namespace std::chrono_literals;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("tcp all_reduce sum and average, f32 and f16, identical on every rank") {
  const int world = 3;
  std::vector<std::vector<float>> sums(world), avgs(world), halfs(world);
  test::run_ranks(world, [&](dist::Communicator& c) {
    CHECK(c.world_size() == world);
    CHECK(std::string(c.backend()) == "tcp");
    std::vector<float> v(1000);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(c.rank() + 1) * 0.5f + float(i) * 0.001f;
    Tensor t = Tensor::from_vector(v, {1000});
    c.all_reduce(t, dist::ReduceOp::sum);
    sums[size_t(c.rank())] = t.to_vector();
    Tensor a = Tensor::from_vector(v, {1000});
    c.all_reduce(a, dist::ReduceOp::average);
    avgs[size_t(c.rank())] = a.to_vector();
    Tensor h = ops::cast(Tensor::from_vector(std::vector<float>(16, float(c.rank() + 1)), {16}), DType::f16);
    c.all_reduce(h, dist::ReduceOp::sum);
    CHECK(h.dtype() == DType::f16);
    halfs[size_t(c.rank())] = h.to_vector();
  });
  for (size_t i = 0; i < 1000; ++i) {
    float expect = (0.5f + 1.0f + 1.5f) + 3 * float(i) * 0.001f;
    CHECK(sums[0][i] == doctest::Approx(expect).epsilon(1e-6));
    CHECK(avgs[0][i] == doctest::Approx(expect / 3).epsilon(1e-6));
  }
  CHECK(sums[1] == sums[0]);
  CHECK(sums[2] == sums[0]);
  CHECK(avgs[2] == avgs[0]);
  for (int r = 0; r < world; ++r) CHECK(halfs[size_t(r)] == std::vector<float>(16, 6.0f));
}

TEST_CASE("tcp broadcast from rank 0, barrier and host reductions") {
  const int world = 3;
  std::atomic<int> arrived{0};
  std::vector<int> seen_at_barrier(world, -1);
  std::vector<std::vector<float>> got(world);
  std::vector<double> maxes(world), sums(world);
  test::run_ranks(world, [&](dist::Communicator& c) {
    Tensor t = Tensor::from_vector(std::vector<float>(5, float(c.rank() * 10 + 7)), {5});
    c.broadcast(t, 0);
    got[size_t(c.rank())] = t.to_vector();
    if (c.rank() == 2) std::this_thread::sleep_for(100ms);  // the late rank holds everyone at the barrier
    arrived++;
    c.barrier();
    seen_at_barrier[size_t(c.rank())] = arrived.load();
    maxes[size_t(c.rank())] = c.all_reduce_host(c.rank() == 1 ? 1.0 : 0.0, dist::HostOp::max);
    sums[size_t(c.rank())] = c.all_reduce_host(double(c.rank()), dist::HostOp::sum);
  });
  for (int r = 0; r < world; ++r) {
    CHECK(got[size_t(r)] == std::vector<float>(5, 7.0f));
    CHECK(seen_at_barrier[size_t(r)] == world);
    CHECK(maxes[size_t(r)] == 1.0);
    CHECK(sums[size_t(r)] == 3.0);
  }
}

TEST_CASE("a world of one: collectives are no-ops") {
  auto c = dist::make_tcp_communicator(test::local_env(0, 1, 1), 1s);
  Tensor t = Tensor::from_vector({1, 2, 3}, {3});
  c->all_reduce(t, dist::ReduceOp::average);
  c->broadcast(t, 0);
  c->barrier();
  CHECK(t.to_vector() == std::vector<float>{1, 2, 3});
  CHECK(c->all_reduce_host(4.0, dist::HostOp::sum) == 4.0);
}

TEST_CASE("rendezvous timeouts name the missing ranks or the unreachable address") {
  int port = dist::free_tcp_port();
  auto t0 = std::chrono::steady_clock::now();
  std::string root = test::error_text([&] { dist::make_tcp_communicator(test::local_env(0, 3, port), 300ms); });
  CHECK(contains(root, "rank(s) 1, 2 of 3 never connected"));
  std::string peer = test::error_text([&] { dist::make_tcp_communicator(test::local_env(1, 2, port), 300ms); });
  CHECK(contains(peer, "could not reach rank 0 at 127.0.0.1:" + std::to_string(port)));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("mismatched world sizes and duplicate ranks are refused") {
  int port = dist::free_tcp_port();
  std::string root_err;
  std::thread root([&] { root_err = test::error_text([&] { dist::make_tcp_communicator(test::local_env(0, 2, port), 3s); }); });
  std::string peer_err = test::error_text([&] { dist::make_tcp_communicator(test::local_env(1, 3, port), 3s); });
  root.join();
  CHECK(contains(root_err, "rank 1 has WORLD_SIZE=3 but rank 0 has 2"));
  CHECK_FALSE(peer_err.empty());
}

namespace {
// Forks a process that joins the group as rank 1 and then behaves as `then` says.
pid_t fork_rank1(int port, int world, const char* then) {
  pid_t pid = ::fork();
  if (pid == 0) {
    try {
      auto c = dist::make_tcp_communicator(test::local_env(1, world, port), 10s);
      if (std::string(then) == "die") ::_exit(3);
      if (std::string(then) == "hang") std::this_thread::sleep_for(5s);
    } catch (...) {
    }
    ::_exit(0);
  }
  return pid;
}
}  // namespace

TEST_CASE("a peer that dies: rank 0's next collective fails naming it, without waiting for the timeout") {
  int port = dist::free_tcp_port();
  pid_t child = fork_rank1(port, 2, "die");
  auto c = dist::make_tcp_communicator(test::local_env(0, 2, port), 60s);
  int st = 0;
  ::waitpid(child, &st, 0);
  CHECK(WEXITSTATUS(st) == 3);
  auto t0 = std::chrono::steady_clock::now();
  Tensor t = Tensor::zeros({100});
  std::string err = test::error_text([&] { c->all_reduce(t, dist::ReduceOp::sum); });
  CHECK(contains(err, "lost the connection to rank 1"));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("a hung peer: the collective times out naming it") {
  int port = dist::free_tcp_port();
  pid_t child = fork_rank1(port, 2, "hang");
  auto c = dist::make_tcp_communicator(test::local_env(0, 2, port), 1s);
  auto t0 = std::chrono::steady_clock::now();
  std::string err = test::error_text([&] { c->barrier(); });
  INFO(err);
  CHECK(contains(err, "timed out after 1 s waiting for rank 1"));
  CHECK(std::chrono::steady_clock::now() - t0 < 4s);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST_CASE("the rendezvous links report a peer whose process ended") {
  int port = dist::free_tcp_port();
  pid_t child = fork_rank1(port, 2, "die");
  dist::Rendezvous rv(test::local_env(0, 2, port), 10s);
  ::waitpid(child, nullptr, 0);
  int gone = -1;
  for (int i = 0; i < 100 && gone < 0; ++i) {
    gone = rv.hung_up_peer();
    if (gone < 0) std::this_thread::sleep_for(20ms);
  }
  CHECK(gone == 1);
}

TEST_CASE("distributed environment: torchrun, Open MPI, MPICH and Slurm names; bad values are named") {
  auto lookup = [](std::map<std::string, std::string> m) {
    return [m](const std::string& k) -> std::optional<std::string> {
      auto it = m.find(k);
      return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  };
  dist::DistEnv none = dist::read_dist_env(lookup({}));
  CHECK_FALSE(none.distributed());
  CHECK(none.rank == 0);
  dist::DistEnv t = dist::read_dist_env(lookup({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                                               {"MASTER_ADDR", "10.0.0.2"}, {"MASTER_PORT", "1234"}}));
  CHECK(t.rank == 3);
  CHECK(t.world_size == 4);
  CHECK(t.local_rank == 1);
  CHECK(t.master_addr == "10.0.0.2");
  CHECK(t.master_port == 1234);
  CHECK(t.source == "torchrun");
  dist::DistEnv m = dist::read_dist_env(lookup({{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"},
                                               {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}}));
  CHECK(m.source == "mpi");
  CHECK(m.rank == 1);
  CHECK(m.local_rank == 1);
  dist::DistEnv h = dist::read_dist_env(lookup({{"PMI_RANK", "2"}, {"PMI_SIZE", "4"}, {"MPI_LOCALRANKID", "0"},
                                               {"MPI_LOCALNRANKS", "2"}}));
  CHECK(h.source == "mpi");
  CHECK(h.rank == 2);
  CHECK(h.world_size == 4);
  CHECK(h.local_rank == 0);
  CHECK(h.local_world_size == 2);
  // torchrun's agent holds its store on MASTER_PORT: the engine's rank 0 listens on the next port.
  dist::DistEnv agent = dist::read_dist_env(lookup({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "29400"},
                                                   {"TORCHELASTIC_USE_AGENT_STORE", "True"}}));
  CHECK(agent.master_port == 29401);
  CHECK(agent.port_after_agent_store);
  CHECK(dist::read_dist_env(lookup({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "29400"},
                                    {"TORCHELASTIC_USE_AGENT_STORE", "False"}})).master_port == 29400);
  // An sbatch script (no srun step) is a single process even though SLURM_NTASKS says 8.
  CHECK_FALSE(dist::read_dist_env(lookup({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "8"}})).distributed());
  dist::DistEnv s = dist::read_dist_env(
      lookup({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_STEP_NUM_TASKS", "8"}, {"SLURM_LOCALID", "1"}}));
  CHECK(s.source == "slurm");
  CHECK(s.rank == 5);
  CHECK(s.world_size == 8);
  CHECK(s.local_rank == 1);
  CHECK(s.master_port == 29500);
  CHECK_THROWS_WITH_AS(dist::read_dist_env(lookup({{"RANK", "2"}, {"WORLD_SIZE", "2"}})),
                       doctest::Contains("RANK=2 is outside 0..1"), Error);
  CHECK_THROWS_WITH_AS(dist::read_dist_env(lookup({{"RANK", "x"}, {"WORLD_SIZE", "2"}})),
                       doctest::Contains("RANK='x' is not an integer"), Error);
  CHECK_THROWS_WITH_AS(dist::dist_timeout(lookup({{"YE_DIST_TIMEOUT", "0"}})), doctest::Contains("YE_DIST_TIMEOUT"), Error);
  CHECK(dist::dist_timeout(lookup({})) == std::chrono::seconds(1800));
}
