// Two `yolo train` CPU ranks started the way torchrun, mpirun or srun start them (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT; no launcher of ours, so no heartbeat pipe): a SIGSTOPped (hung)
// rank is killed by the other one within 20 s, which names it and its last activity and exits (and
// under the real torchrun, when the parity venv has it, the job ends); a normal run ends with status 0.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "common/harness.h"
#include "data/synth.h"
#include "engine/dist/communicator.h"
#include "engine/dist/tcp.h"
#include "run/run_test_util.h"
#include "train/child_process.h"
#include "train/ddp_test_util.h"

using namespace ye;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Rank `rank` of 2 as torchrun --no-python starts it (without its agent's store), heartbeat 3 s.
std::vector<std::string> torchrun_env(int rank, int port) {
  return {"RANK=" + std::to_string(rank), "WORLD_SIZE=2", "LOCAL_RANK=" + std::to_string(rank), "LOCAL_WORLD_SIZE=2",
          "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port), "YE_HEARTBEAT_TIMEOUT=3",
          "YE_DIST_TIMEOUT=600", "YE_HEARTBEAT_FD=", "TORCHELASTIC_USE_AGENT_STORE=", "OMPI_COMM_WORLD_RANK=",
          "OMPI_COMM_WORLD_SIZE=", "PMI_RANK=", "PMI_SIZE=", "SLURM_PROCID=", "SLURM_STEP_NUM_TASKS="};
}

struct TwoRanks {
  std::unique_ptr<test::ChildProcess> rank[2];
  std::string logs() {
    std::string out;
    for (int r = 0; r < 2; ++r)
      out += "rank " + std::to_string(r) + " (" +
             (rank[r]->running() ? std::string("running") : "exit code " + std::to_string(rank[r]->exit_code())) +
             "):\n" + rank[r]->log_text() + "\n";
    return out;
  }
};

TwoRanks start_two_ranks(const fs::path& dir, int epochs) {
  std::string yaml = test::ddp_synth_yaml(dir);
  std::vector<std::string> args{"train", "--data", yaml, "--model", "yolov8n", "--imgsz", "64", "--batch", "4",
                                "--epochs", std::to_string(epochs), "--workers", "1", "--device", "cpu",
                                "--close_mosaic", "0", "--plots", "false", "--name", "ext"};
  int port = dist::free_tcp_port();
  TwoRanks t;
  for (int r = 0; r < 2; ++r) {
    fs::path log = dir / ("rank" + std::to_string(r) + ".log");
    t.rank[r] = std::make_unique<test::ChildProcess>(test::yolo_binary(), args, dir, log, torchrun_env(r, port));
  }
  return t;
}

// SIGSTOPs rank `victim` once the first epoch is written (and a heartbeat later, so its last activity
// is inside the epoch loop); the other rank must kill it (same host) and end within 20 s, naming it.
void stop_a_rank(const fs::path& dir, int victim) {
  REQUIRE(fs::exists(test::yolo_binary()));
  TwoRanks t = start_two_ranks(dir, 50);
  const int other = 1 - victim;
  auto deadline = std::chrono::steady_clock::now() + seconds(180);
  while (!fs::exists(dir / "runs/train/ext/results.csv") && t.rank[0]->running() && t.rank[1]->running() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  REQUIRE_MESSAGE(t.rank[0]->running(), t.logs());
  REQUIRE_MESSAGE(t.rank[1]->running(), t.logs());
  t.rank[victim]->signal(SIGSTOP);
  auto stopped_at = std::chrono::steady_clock::now();
  bool ended = t.rank[other]->wait(seconds(20));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped_at).count();
  bool victim_ended = t.rank[victim]->wait(seconds(5));  // else killed here, as torchrun would after 30 s
  INFO("rank ", other, " ended ", took, " s after rank ", victim, " was stopped\n", t.logs());
  REQUIRE(ended);
  CHECK(took >= 2.5);  // not before YE_HEARTBEAT_TIMEOUT
  CHECK(t.rank[other]->exit_code() == dist::kPeerLostExitCode);
  CHECK(victim_ended);
  CHECK(t.rank[victim]->exit_code() == -SIGKILL);
  // error: rank 1 sent no heartbeat for 3 s (YE_HEARTBEAT_TIMEOUT=3 s): it is hung (its process stopped or
  // frozen); last activity: epoch 2/50, batch 3/4, backward (3.1 s ago); killed it (pid 1234, on this
  // host); rank 0 is ending the run
  std::regex line("error: rank " + std::to_string(victim) +
                  " sent no heartbeat for [0-9]+ s \\(YE_HEARTBEAT_TIMEOUT=3 s\\): it is hung \\(its process "
                  "stopped or frozen\\); last activity: epoch [0-9]+/50, (batch [1-4]/4, )?"
                  "(data|broadcast|forward|backward|all-reduce|optimizer|rank sync|validation|checkpoint) "
                  "\\([0-9]+\\.[0-9] s ago\\); killed it \\(pid " + std::to_string(t.rank[victim]->pid()) +
                  ", on this host\\); rank " + std::to_string(other) + " is ending the run");
  CHECK(std::regex_search(t.rank[other]->log_text(), line));
}

// The torchrun of the parity venv (scripts/setup_parity_env.sh), or YE_TORCHRUN; empty when absent.
// The pid of a child of `parent` whose environment has RANK=<rank>, or -1.
pid_t child_with_rank(pid_t parent, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    std::istringstream(text.substr(close + 1)) >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream env(e.path() / "environ");
    for (std::string var; std::getline(env, var, '\0');)
      if (var == "RANK=" + std::to_string(rank)) return pid_t(std::stoi(name));
  }
  return -1;
}
}  // namespace

TEST_CASE("the real torchrun (when the parity venv has it): a SIGSTOPped rank 1 ends the job within 20 s, named") {
  fs::path torchrun = test::torchrun_path();
  if (torchrun.empty()) {
    MESSAGE("no torchrun (scripts/setup_parity_env.sh installs one; or set YE_TORCHRUN): the emulated cases cover it");
    return;
  }
  fs::path dir = test::fresh_dir("ddp_ext_torchrun");
  std::string yaml = test::ddp_synth_yaml(dir);
  int port = 0;  // torchrun's agent store takes it, the engine the next one
  for (int i = 0; i < 50 && port == 0; ++i) {
    int p = dist::free_tcp_port();
    if (p >= 65535) continue;
    try {
      dist::TcpListener next("127.0.0.1", p + 1);
      port = p;
    } catch (const std::exception&) {
    }
  }
  REQUIRE(port > 0);
  std::vector<std::string> args{"--nproc_per_node", "2", "--nnodes", "1", "--master_port", std::to_string(port),
                                "--no-python", test::yolo_binary().string(), "train", "--data", yaml, "--model",
                                "yolov8n", "--imgsz", "64", "--batch", "4", "--epochs", "50", "--workers", "1",
                                "--device", "cpu", "--close_mosaic", "0", "--plots", "false", "--name", "tr"};
  std::vector<std::string> env{"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=",
                               "MASTER_PORT=", "YE_HEARTBEAT_FD=", "YE_HEARTBEAT_TIMEOUT=3", "YE_DIST_TIMEOUT=600",
                               "OMP_NUM_THREADS=1"};
  test::ChildProcess run(torchrun, args, dir, dir / "torchrun.log", env);
  auto deadline = std::chrono::steady_clock::now() + seconds(180);
  while (!fs::exists(dir / "runs/train/tr/results.csv") && run.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  pid_t victim = child_with_rank(run.pid(), 1), survivor = child_with_rank(run.pid(), 0);
  REQUIRE_MESSAGE(victim > 0, run.log_text());
  REQUIRE(survivor > 0);
  ::kill(victim, SIGSTOP);
  bool ended = run.wait(seconds(20));
  if (!ended) ::kill(victim, SIGKILL), ::kill(survivor, SIGKILL);  // torchrun itself was killed: no orphans
  std::string log = run.log_text();
  INFO(log);
  REQUIRE(ended);
  CHECK(run.exit_code() != 0);
  CHECK(contains(log, "error: rank 1 sent no heartbeat for "));
  CHECK(contains(log, "killed it (pid " + std::to_string(victim) + ", on this host); rank 0 is ending the run"));
  CHECK(::kill(victim, 0) != 0);
  fs::remove_all(dir);
}

TEST_CASE("external launch (torchrun's variables, no launcher of ours): rank 0 kills a SIGSTOPped rank 1, naming it") {
  fs::path dir = test::fresh_dir("ddp_ext_hang1");
  stop_a_rank(dir, 1);
  fs::remove_all(dir);
}

TEST_CASE("external launch: rank 1 kills a SIGSTOPped rank 0 and ends, naming it") {
  fs::path dir = test::fresh_dir("ddp_ext_hang0");
  stop_a_rank(dir, 0);
  fs::remove_all(dir);
}

TEST_CASE("external launch: a normal 2-rank run ends with status 0 on both ranks, none reported hung or gone") {
  REQUIRE(fs::exists(test::yolo_binary()));
  fs::path dir = test::fresh_dir("ddp_ext_ok");
  TwoRanks t = start_two_ranks(dir, 2);  // rank 1 ends first: rank 0 then runs the final validation
  bool ended0 = t.rank[0]->wait(seconds(240)), ended1 = t.rank[1]->wait(seconds(10));
  INFO(t.logs());
  REQUIRE(ended0);
  REQUIRE(ended1);
  CHECK(t.rank[0]->exit_code() == 0);
  CHECK(t.rank[1]->exit_code() == 0);
  CHECK(contains(t.rank[0]->log_text(), "DDP: 2 processes (tcp)"));
  CHECK(contains(t.rank[0]->log_text(), "Results saved to"));
  CHECK_FALSE(contains(t.logs(), "error"));
  fs::remove_all(dir);
}
