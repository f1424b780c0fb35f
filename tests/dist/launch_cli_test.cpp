// Launching `yolo train` as CPU ranks the ways a cluster does, with tiny runs of the real binary:
// torchrun --no-python (for real when the parity venv has torchrun, and emulated with the variables
// torchrun sets, its agent's store holding MASTER_PORT), srun (SLURM_* variables), mpirun (Open MPI's
// OMPI_COMM_WORLD_*), and the launcher's --master-port with --sync-bn (args.yaml records sync_bn and
// world; rank 0 alone reports the dataset) and with a port already in use.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/harness.h"
#include "data/synth.h"
#include "engine/dist/tcp.h"
#include "kernels/error.h"
#include "run/run_test_util.h"
#include "train/child_process.h"
#include "train/ddp_test_util.h"
#include "yolo/config/devices.h"

using namespace ye;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {
size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}
bool contains(const std::string& text, const std::string& part) { return count(text, part) > 0; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// 12 synthetic 64x64 images; one label file gets a malformed line (a warning that only rank 0 prints).
std::string tiny_dataset(const fs::path& dir) {
  data::SynthOptions so;
  so.out_dir = (dir / "synth").string();
  so.images = 12;
  so.imgsz = 64;
  so.seed = 5;
  std::string yaml = data::generate_synthetic_dataset(so).yaml_path;
  for (auto& e : fs::recursive_directory_iterator(dir / "synth"))
    if (e.path().extension() == ".txt" && e.path().parent_path().filename() == "train") {
      std::ofstream(e.path(), std::ios::app) << "not a label line\n";
      break;
    }
  return yaml;
}

std::vector<std::string> tiny_train(const std::string& yaml, const std::string& name) {
  return {"train", "--data", yaml, "--model", "yolov8n", "--imgsz", "64", "--batch", "4", "--epochs", "1",
          "--workers", "1", "--device", "cpu", "--close_mosaic", "0", "--plots", "false", "--name", name};
}

// Variables a rank must not inherit from the test's own environment.
std::vector<std::string> cleared() {
  return {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=",
          "OMPI_COMM_WORLD_RANK=", "OMPI_COMM_WORLD_SIZE=", "PMI_RANK=", "PMI_SIZE=", "SLURM_PROCID=",
          "SLURM_STEP_NUM_TASKS=", "TORCHELASTIC_USE_AGENT_STORE="};
}

// Starts one `yolo train` per rank with env(rank) on top of cleared(); all must exit 0 within 240 s.
std::vector<std::string> run_ranks_by_env(const fs::path& dir, const std::vector<std::string>& args, int world,
                                          const std::function<std::vector<std::string>(int)>& env) {
  std::vector<std::unique_ptr<test::ChildProcess>> ranks;
  for (int r = 0; r < world; ++r) {
    std::vector<std::string> e = cleared();
    for (auto& v : env(r)) e.push_back(v);
    ranks.push_back(std::make_unique<test::ChildProcess>(test::yolo_binary(), args, dir,
                                                         dir / ("rank" + std::to_string(r) + ".log"), e));
  }
  std::vector<std::string> logs;
  for (int r = 0; r < world; ++r) {
    bool ended = ranks[size_t(r)]->wait(seconds(240));
    logs.push_back(ranks[size_t(r)]->log_text());
    INFO("rank ", r, " log:\n", logs.back());
    CHECK(ended);
    CHECK(ranks[size_t(r)]->exit_code() == 0);
  }
  return logs;
}

// What every 2-rank run leaves: one run folder written by rank 0 with one results row; rank 1 silent.
void check_two_rank_run(const fs::path& run, const std::string& log0, const std::string& log1) {
  CHECK(contains(log0, "DDP: 2 processes (tcp)"));
  CHECK(count(log0, "Starting training for 1 epochs") == 1);
  CHECK_FALSE(contains(log1, "Starting training"));
  CHECK_FALSE(contains(log1, "train: "));  // neither dataset summary nor label warnings from rank 1
  CHECK(count(read_text(run / "results.csv"), "\n") == 2);  // header + epoch 1
  CHECK(contains(read_text(run / "args.yaml"), "\nworld: 2\n"));
  CHECK(fs::exists(run / "weights/last.safetensors"));
}

// A port p with p + 1 also free (torchrun's agent takes p, the engine p + 1).
int free_port_pair() {
  for (int i = 0; i < 50; ++i) {
    int p = dist::free_tcp_port();
    if (p >= 65535) continue;
    try {
      dist::TcpListener a("127.0.0.1", p + 1);
      return p;
    } catch (const std::exception&) {
    }
  }
  return dist::free_tcp_port();
}

}  // namespace

TEST_CASE("torchrun --nproc_per_node 2 --no-python yolo train (the real torchrun, when the parity venv has it)") {
  fs::path torchrun = test::torchrun_path();
  if (torchrun.empty()) {
    MESSAGE("no torchrun (scripts/setup_parity_env.sh installs one; or set YE_TORCHRUN): the emulated case covers it");
    return;
  }
  fs::path dir = test::fresh_dir("launch_torchrun");
  std::string yaml = tiny_dataset(dir);
  std::vector<std::string> args = {"--nproc_per_node", "2", "--nnodes", "1", "--master_port",
                                   std::to_string(free_port_pair()), "--no-python", test::yolo_binary().string()};
  for (auto& a : tiny_train(yaml, "tr")) args.push_back(a);
  std::vector<std::string> env = cleared();
  env.push_back("OMP_NUM_THREADS=1");
  test::ChildProcess run(torchrun, args, dir, dir / "torchrun.log", env);
  REQUIRE(run.wait(seconds(300)));
  std::string log = run.log_text();
  INFO(log);
  CHECK(run.exit_code() == 0);
  CHECK(contains(log, "DDP: 2 processes (tcp)"));
  CHECK(count(log, "Starting training for 1 epochs") == 1);
  CHECK(contains(read_text(dir / "runs/train/tr/args.yaml"), "\nworld: 2\n"));
  fs::remove_all(dir);
}

TEST_CASE("torchrun's variables (emulated): RANK/WORLD_SIZE/LOCAL_*, its agent's store holding MASTER_PORT") {
  fs::path dir = test::fresh_dir("launch_torchrun_env");
  std::string yaml = tiny_dataset(dir);
  int port = free_port_pair();
  dist::TcpListener agent_store("127.0.0.1", port);  // what torchrun's agent does with MASTER_PORT
  auto logs = run_ranks_by_env(dir, tiny_train(yaml, "tre"), 2, [&](int r) {
    return std::vector<std::string>{"RANK=" + std::to_string(r), "WORLD_SIZE=2", "LOCAL_RANK=" + std::to_string(r),
                                    "LOCAL_WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port),
                                    "TORCHELASTIC_USE_AGENT_STORE=True", "TORCHELASTIC_RUN_ID=none"};
  });
  check_two_rank_run(dir / "runs/train/tre", logs[0], logs[1]);
  fs::remove_all(dir);
}

TEST_CASE("srun (emulated): SLURM_PROCID / SLURM_STEP_NUM_TASKS / SLURM_LOCALID with MASTER_ADDR/PORT") {
  fs::path dir = test::fresh_dir("launch_srun");
  std::string yaml = tiny_dataset(dir);
  int port = dist::free_tcp_port();
  auto logs = run_ranks_by_env(dir, tiny_train(yaml, "slurm"), 2, [&](int r) {
    return std::vector<std::string>{"SLURM_PROCID=" + std::to_string(r), "SLURM_NTASKS=2", "SLURM_STEP_NUM_TASKS=2",
                                    "SLURM_LOCALID=" + std::to_string(r), "SLURM_JOB_ID=4242", "SLURM_NODEID=0",
                                    "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)};
  });
  check_two_rank_run(dir / "runs/train/slurm", logs[0], logs[1]);
  fs::remove_all(dir);
}

TEST_CASE("mpirun (emulated Open MPI): OMPI_COMM_WORLD_RANK / _SIZE / _LOCAL_RANK with MASTER_ADDR/PORT") {
  fs::path dir = test::fresh_dir("launch_mpi");
  std::string yaml = tiny_dataset(dir);
  int port = dist::free_tcp_port();
  auto logs = run_ranks_by_env(dir, tiny_train(yaml, "mpi"), 2, [&](int r) {
    return std::vector<std::string>{"OMPI_COMM_WORLD_RANK=" + std::to_string(r), "OMPI_COMM_WORLD_SIZE=2",
                                    "OMPI_COMM_WORLD_LOCAL_RANK=" + std::to_string(r), "OMPI_COMM_WORLD_LOCAL_SIZE=2",
                                    "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)};
  });
  check_two_rank_run(dir / "runs/train/mpi", logs[0], logs[1]);
  fs::remove_all(dir);
}

TEST_CASE("yolo train --world 2 --master-port P --sync-bn: the ranks meet on P, SyncBN on, args.yaml says so") {
  fs::path dir = test::fresh_dir("launch_port");
  std::string yaml = tiny_dataset(dir);
  int port = dist::free_tcp_port();
  std::vector<std::string> args = tiny_train(yaml, "port");
  for (const char* a : {"--world", "2", "--sync-bn"}) args.push_back(a);
  args.push_back("--master-port");
  args.push_back(std::to_string(port));
  test::ChildProcess run(test::yolo_binary(), args, dir, dir / "train.log", cleared());
  REQUIRE(run.wait(seconds(240)));
  std::string log = run.log_text();
  INFO(log);
  CHECK(run.exit_code() == 0);
  CHECK(contains(log, "MASTER_PORT=" + std::to_string(port) + ")"));
  CHECK(contains(log, "DDP: SyncBN, BatchNorm statistics over all 2 ranks"));
  CHECK(count(log, "Starting training for 1 epochs") == 1);
  CHECK(count(log, "1 line dropped: not a number") == 1);  // the label warning, from rank 0 only
  std::string yaml_out = read_text(dir / "runs/train/port/args.yaml");
  CHECK(contains(yaml_out, "\nsync_bn: true\n"));
  CHECK(contains(yaml_out, "\nworld: 2\n"));
  fs::remove_all(dir);
}

TEST_CASE("yolo train --world 2 --master-port P with P in use: a clear error within 60 s, no rank left") {
  fs::path dir = test::fresh_dir("launch_port_busy");
  std::string yaml = tiny_dataset(dir);
  int port = dist::free_tcp_port();
  dist::TcpListener squatter("127.0.0.1", port);
  std::vector<std::string> args = tiny_train(yaml, "busy");
  for (const char* a : {"--world", "2", "--master-port"}) args.push_back(a);
  args.push_back(std::to_string(port));
  test::ChildProcess run(test::yolo_binary(), args, dir, dir / "train.log", cleared());
  REQUIRE(run.wait(seconds(60)));
  std::string log = run.log_text();
  INFO(log);
  CHECK(run.exit_code() != 0);
  CHECK(contains(log, "cannot listen on 127.0.0.1:" + std::to_string(port) + " (Address already in use)"));
  CHECK(contains(log, "error: distributed training failed: rank 0"));
  fs::remove_all(dir);
}

TEST_CASE("--master-port is taken out of the arguments and checked") {
  std::vector<std::string> argv{"--data", "x.yaml", "--master-port", "29511", "--epochs", "2"};
  CHECK(yolo::take_master_port_flag(argv) == 29511);
  CHECK(argv == std::vector<std::string>{"--data", "x.yaml", "--epochs", "2"});
  argv = {"--master_port=1234", "master_port=4321"};
  CHECK(yolo::take_master_port_flag(argv) == 4321);
  CHECK(argv.empty());
  argv = {"--epochs", "2"};
  CHECK(yolo::take_master_port_flag(argv) == 0);
  argv = {"--master-port", "70000"};
  CHECK_THROWS_WITH_AS(yolo::take_master_port_flag(argv), doctest::Contains("--master-port expects a TCP port"), Error);
}
