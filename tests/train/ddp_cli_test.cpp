// `yolo train --device cpu --world 2` with the real binary: rank 0 alone writes the run (one folder,
// one results row per epoch, one event file, checkpoints, one log); an indivisible batch is refused; a
// killed or SIGSTOPped (hung: the launcher's heartbeat timeout) rank ends every process non-zero, named
// with its pid, its signal or silence and its last activity (phase, epoch, batch) from its heartbeats;
// Ctrl-C stops both ranks and saves, --resume on 2 ranks finishes; the device-list and --world rules.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "common/harness.h"
#include "data/synth.h"
#include "run/run_test_util.h"
#include "train/child_process.h"
#include "train/ddp_test_util.h"
#include "kernels/error.h"
#include "yolo/config/devices.h"
#include "yolo/run/results_csv.h"
#include "yolo/train/checkpoint.h"

using namespace ye;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

// The phases a rank reports in its heartbeat during an epoch (yolo/train/activity.h).
const char* kLoopPhases = "(data|broadcast|forward|backward|all-reduce|optimizer|rank sync|validation|checkpoint)";

std::vector<std::string> train_args(const std::string& yaml, int epochs, const std::string& batch) {
  return {"train", "--data", yaml, "--model", "yolov8n", "--imgsz", "64", "--batch", batch, "--epochs",
          std::to_string(epochs), "--workers", "1", "--device", "cpu", "--world", "2", "--name", "ddp",
          "--close_mosaic", "0"};
}

// The pid of the launcher's child whose environment has RANK=<rank>, or -1.
pid_t rank_child(pid_t launcher, int rank) {
  std::ifstream kids("/proc/" + std::to_string(launcher) + "/task/" + std::to_string(launcher) + "/children");
  pid_t pid = 0;
  while (kids >> pid) {
    std::ifstream env("/proc/" + std::to_string(pid) + "/environ");
    std::string var;
    while (std::getline(env, var, '\0'))
      if (var == "RANK=" + std::to_string(rank)) return pid;
  }
  return -1;
}
}  // namespace

TEST_CASE("yolo train --device cpu --world 2: two ranks train, rank 0 alone writes the run") {
  fs::path yolo = test::yolo_binary();
  REQUIRE_MESSAGE(fs::exists(yolo), yolo.string(), " not found: build the yolo target (tests run in the build folder)");
  fs::path dir = test::fresh_dir("ddp_cli");
  std::string yaml = test::ddp_synth_yaml(dir);
  test::ChildProcess train(yolo, train_args(yaml, 2, "4"), dir, dir / "train.log");
  REQUIRE(train.wait(seconds(240)));
  std::string log = train.log_text();
  INFO(log);
  CHECK(train.exit_code() == 0);
  CHECK(contains(log, "DDP: starting 2 processes"));
  CHECK(contains(log, "DDP: 2 processes (tcp)"));
  CHECK(count(log, "Starting training for 2 epochs") == 1);  // the other rank does not log
  CHECK(count(log, "Results saved to") == 1);
  std::vector<fs::path> runs;
  for (auto& e : fs::directory_iterator(dir / "runs/train")) runs.push_back(e.path());
  REQUIRE(runs.size() == 1);  // no second run folder (ddp2) from rank 1
  fs::path run = runs[0];
  CHECK(run.filename() == "ddp");
  CHECK(yolo::read_results_csv(run / "results.csv").column("epoch") == std::vector<double>{1, 2});
  int events = 0;
  for (auto& e : fs::directory_iterator(run))
    if (contains(e.path().filename().string(), "tfevents")) ++events;
  CHECK(events == 1);
  CHECK(fs::exists(run / "weights/best.safetensors"));
  yolo::TrainState st = yolo::read_train_state_info(run / "weights/last.safetensors");
  CHECK(st.counters.epoch == 2);
  // 15 training images over 2 ranks: 8 per rank (padded), per-rank batch 2 -> 4 iterations per epoch,
  // an optimizer step every max(round(64 / 4), 1) = 16 iterations (total batch 4): the first step
  // comes with warmup (accumulate 1 at iteration 0), so at least one step per epoch ran.
  CHECK(st.counters.optimizer_steps >= 1);
  CHECK(contains(log, "4/4"));
  fs::remove_all(dir);
}

TEST_CASE("yolo train --world 2: a batch that does not split over the ranks is refused") {
  fs::path yolo = test::yolo_binary();
  REQUIRE(fs::exists(yolo));
  fs::path dir = test::fresh_dir("ddp_cli_batch");
  std::string yaml = test::ddp_synth_yaml(dir);
  test::ChildProcess train(yolo, train_args(yaml, 1, "3"), dir, dir / "train.log");
  REQUIRE(train.wait(seconds(120)));
  std::string log = train.log_text();
  INFO(log);
  CHECK(train.exit_code() == 1);
  CHECK(contains(log, "--batch 3 must be a multiple of the number of processes (2)"));
  CHECK(contains(log, "error: distributed training failed: rank "));
  fs::remove_all(dir);
}

TEST_CASE("yolo train --world 2: a rank killed mid-run stops the run, naming the rank") {
  fs::path yolo = test::yolo_binary();
  REQUIRE(fs::exists(yolo));
  fs::path dir = test::fresh_dir("ddp_cli_kill");
  std::string yaml = test::ddp_synth_yaml(dir);
  test::ChildProcess train(yolo, train_args(yaml, 50, "4"), dir, dir / "train.log");
  auto deadline = std::chrono::steady_clock::now() + seconds(120);
  while (!contains(train.log_text(), "Starting training") && train.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pid_t victim = rank_child(train.pid(), 1), survivor = rank_child(train.pid(), 0);
  REQUIRE_MESSAGE(victim > 0, train.log_text());
  REQUIRE(survivor > 0);
  ::kill(victim, SIGKILL);
  REQUIRE(train.wait(seconds(60)));  // no hang
  std::string log = train.log_text();
  INFO(log);
  CHECK(train.exit_code() != 0);
  CHECK(contains(log, "error: rank 1 (pid " + std::to_string(victim) +
                          ") failed with signal Killed (SIGKILL); last activity: "));
  CHECK(contains(log, "rank 1 of 2 exited with signal Killed (SIGKILL)"));
  CHECK(::kill(survivor, 0) != 0);  // rank 0 was stopped and reaped, not left running
  fs::remove_all(dir);
}

// A SIGSTOPped rank is hung, not dead: only the launcher's heartbeat watch notices it. It is stopped
// once the first epoch is written and a heartbeat later (kHeartbeatInterval 250 ms), so the last
// activity it reported is inside the epoch loop. Returns the log.
static std::string stop_a_rank(const fs::path& dir, int victim_rank, const std::vector<std::string>& env, seconds bound) {
  std::string yaml = test::ddp_synth_yaml(dir);
  test::ChildProcess train(test::yolo_binary(), train_args(yaml, 50, "4"), dir, dir / "train.log", env);
  auto deadline = std::chrono::steady_clock::now() + seconds(180);
  while (!fs::exists(dir / "runs/train/ddp/results.csv") && train.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  pid_t victim = rank_child(train.pid(), victim_rank), other = rank_child(train.pid(), 1 - victim_rank);
  REQUIRE_MESSAGE(victim > 0, train.log_text());
  REQUIRE(other > 0);
  ::kill(victim, SIGSTOP);
  auto stopped_at = std::chrono::steady_clock::now();
  bool ended = train.wait(bound);
  if (!ended) ::kill(victim, SIGKILL), ::kill(other, SIGKILL);
  REQUIRE_MESSAGE(ended, train.log_text());  // every process ended within the bound of the hang
  INFO("ended ", std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped_at).count(), " s after SIGSTOP");
  std::string log = train.log_text();
  INFO(log);
  CHECK(train.exit_code() != 0);
  std::string who = "rank " + std::to_string(victim_rank) + " (pid " + std::to_string(victim) + ")";
  CHECK(contains(log, "error: " + who + " sent no heartbeat for "));
  CHECK(contains(log, "it is hung: state T (stopped)"));
  CHECK(contains(log, "rank " + std::to_string(victim_rank) + " of 2 hung"));
  // error: rank 1 (pid 1234) sent no heartbeat for 3 s (YE_HEARTBEAT_TIMEOUT=3 s); last activity: epoch 2/50,
  // batch 3/4, backward (3.2 s ago); it is hung: state T (stopped)
  std::regex hung_line("error: rank " + std::to_string(victim_rank) + " \\(pid " + std::to_string(victim) +
                       "\\) sent no heartbeat for [0-9]+ s \\([A-Z_]+=[0-9]+ s\\); last activity: epoch [0-9]+/50, batch "
                       "[1-4]/4, " + kLoopPhases + " \\([0-9]+\\.[0-9] s ago\\); it is hung: ");
  CHECK(std::regex_search(log, hung_line));
  CHECK(std::regex_search(log, std::regex("rank " + std::to_string(victim_rank) +
                                          " of 2 hung .* and was killed; last activity: epoch [0-9]+/50, batch [1-4]/4, ")));
  CHECK(::kill(victim, 0) != 0);  // both reaped, none left running
  CHECK(::kill(other, 0) != 0);
  return log;
}

TEST_CASE("yolo train --world 2: a SIGSTOPped (hung) rank ends every process, naming the rank (3 s heartbeat)") {
  REQUIRE(fs::exists(test::yolo_binary()));
  fs::path dir = test::fresh_dir("ddp_cli_hang");
  std::string log = stop_a_rank(dir, 1, {"YE_HEARTBEAT_TIMEOUT=3"}, seconds(20));
  CHECK(contains(log, "YE_HEARTBEAT_TIMEOUT=3 s"));
  fs::remove_all(dir);
}

TEST_CASE("yolo train --world 2: with the default heartbeat timeout a hung rank 0 ends the run within 60 s") {
  REQUIRE(fs::exists(test::yolo_binary()));
  fs::path dir = test::fresh_dir("ddp_cli_hang_default");
  std::string log = stop_a_rank(dir, 0, {"YE_HEARTBEAT_TIMEOUT="}, seconds(60));
  CHECK(contains(log, "YE_HEARTBEAT_TIMEOUT=30 s"));
  fs::remove_all(dir);
}

TEST_CASE("device lists, --world and the number of processes") {
  CHECK(yolo::split_device_list("0,1, 2") == std::vector<std::string>{"0", "1", "2"});
  CHECK(yolo::split_device_list("[0, 1]") == std::vector<std::string>{"0", "1"});
  CHECK(yolo::split_device_list("").empty());
  std::vector<std::string> argv{"--data", "x.yaml", "--world", "3", "--epochs", "2"};
  CHECK(yolo::take_world_flag(argv) == 3);
  CHECK(argv == std::vector<std::string>{"--data", "x.yaml", "--epochs", "2"});
  argv = {"world=2", "--amp"};
  CHECK(yolo::take_world_flag(argv) == 2);
  CHECK(argv == std::vector<std::string>{"--amp"});
  argv = {"--world=4"};
  CHECK(yolo::take_world_flag(argv) == 4);
  argv = {"--epochs", "2"};
  CHECK(yolo::take_world_flag(argv) == 0);
  argv = {"--world", "0"};
  CHECK_THROWS_WITH_AS(yolo::take_world_flag(argv), doctest::Contains("--world expects a positive number"), Error);

  yolo::LaunchSpec g = yolo::launch_spec("0,1,2,3", 0);
  CHECK(g.world == 4);
  CHECK_FALSE(g.cpu);
  CHECK(g.devices == std::vector<std::string>{"0", "1", "2", "3"});
  CHECK(yolo::launch_spec("0", 0).world == 1);
  CHECK_FALSE(yolo::launch_spec("", 0).spawn());
  yolo::LaunchSpec c = yolo::launch_spec("cpu", 2);
  CHECK(c.cpu);
  CHECK(c.world == 2);
  CHECK(c.spawn());
  CHECK_THROWS_WITH_AS(yolo::launch_spec("0,1", 3), doctest::Contains("--world 3 does not match"), Error);
  CHECK_THROWS_WITH_AS(yolo::launch_spec("", 2), doctest::Contains("add --device cpu"), Error);
  CHECK_THROWS_WITH_AS(yolo::launch_spec("0,0", 0), doctest::Contains("listed twice"), Error);
  CHECK_THROWS_WITH_AS(yolo::launch_spec("0,cpu", 0), doctest::Contains("cannot be mixed"), Error);
}

TEST_CASE("yolo train --world 2: Ctrl-C stops every rank at once and saves; --resume on 2 ranks finishes") {
  fs::path yolo = test::yolo_binary();
  REQUIRE(fs::exists(yolo));
  fs::path dir = test::fresh_dir("ddp_cli_resume");
  std::string yaml = test::ddp_synth_yaml(dir);
  fs::path run = dir / "runs/train/ddp", last = run / "weights/last.safetensors";
  {
    test::ChildProcess train(yolo, train_args(yaml, 3, "4"), dir, dir / "train.log");
    auto deadline = std::chrono::steady_clock::now() + seconds(120);
    while (!fs::exists(run / "results.csv") && train.running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE_MESSAGE(train.running(), train.log_text());
    train.signal(SIGINT);  // the launcher forwards it to both ranks
    REQUIRE(train.wait(seconds(120)));
    INFO(train.log_text());
    CHECK(train.exit_code() == 130);
    CHECK(count(train.log_text(), "Interrupted: saved") == 1);
  }
  REQUIRE(fs::exists(last));
  CHECK(yolo::read_train_state_info(last).counters.epoch >= 1);
  test::ChildProcess resume(yolo, {"train", "--resume", last.string(), "--world", "2"}, dir, dir / "resume.log");
  REQUIRE(resume.wait(seconds(180)));
  std::string log = resume.log_text();
  INFO(log);
  CHECK(resume.exit_code() == 0);
  CHECK(contains(log, "DDP: 2 processes (tcp)"));
  CHECK(count(log, "Resuming training") == 1);
  CHECK(yolo::read_results_csv(run / "results.csv").column("epoch") == std::vector<double>{1, 2, 3});
  CHECK(yolo::read_train_state_info(last).counters.finished);
  fs::remove_all(dir);
}
