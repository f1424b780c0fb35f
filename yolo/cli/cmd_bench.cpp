// `yolo bench [--filter re] [--out dir] [--min-time s] [--short]`: the microbenchmark suite. Finds the
// bench_* binaries next to the yolo executable (or in its bench/ folder), runs bench_ceilings first and
// hands its measured ceilings to the others (YE_BENCH_CEILINGS), runs each with Google Benchmark JSON
// output into --out, then writes bench.md (one table) and bench.json (merged). Exit status 1 when a
// binary failed or a row reported an error (a failed CUDA-vs-CPU check), or no row ran.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "yolo/cli/bench_table.h"
#include "yolo/cli/commands.h"
#include "yolo/config/py_format.h"

extern char** environ;

namespace ye::cli {
namespace fs = std::filesystem;

namespace {

struct BenchOptions {
  std::string filter;
  std::string out = "runs/bench";
  double min_time = 0.1;
  bool short_mode = false;
  std::vector<std::string> only;
};

// bench_* executables in the yolo executable's folder and its bench/ subfolder, sorted by name.
std::vector<fs::path> find_bench_binaries() {
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  std::vector<fs::path> found;
  for (const fs::path& dir : {exe.parent_path(), exe.parent_path() / "bench"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("bench_", 0) != 0 || name.find('.') != std::string::npos || !e.is_regular_file()) continue;
      if (access(e.path().c_str(), X_OK) == 0) found.push_back(e.path());
    }
  }
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return found;
}

// Runs `argv` with `extra_env` added, stdout and stderr into `log`; returns the exit status.
int run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env, const fs::path& log) {
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> env, args;
  for (std::string& s : env_strings) env.push_back(s.data());
  env.push_back(nullptr);
  std::vector<std::string> argv_copy(argv);
  for (std::string& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  YE_CHECK(pid >= 0, "yolo bench: cannot start ", argv[0]);
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  YE_CHECK(bool(f), "yolo bench: cannot write ", p.string());
}

BenchOutput run_binary(const fs::path& bin, const BenchOptions& o, const fs::path& out,
                       const std::vector<std::string>& env) {
  const std::string name = bin.filename().string();
  const fs::path json = out / (name + ".json");
  fs::remove(json);
  std::vector<std::string> argv = {bin.string(), "--benchmark_out=" + json.string(), "--benchmark_out_format=json",
                                   "--benchmark_min_time=" + std::to_string(o.min_time)};
  if (!o.filter.empty()) argv.push_back("--benchmark_filter=" + o.filter);
  std::printf("=== %s\n", name.c_str());
  std::fflush(stdout);
  BenchOutput r{name, "", run_process(argv, env, out / (name + ".txt"))};
  if (fs::exists(json)) r.json_text = read_text(json);
  return r;
}

// The ceilings bench_ceilings measured, from the JSON context it recorded ("" when absent).
std::string ceilings_of(const BenchOutput& r) {
  const nlohmann::json j = nlohmann::json::parse(r.json_text, nullptr, false);
  if (!j.is_object() || !j.contains("context") || !j["context"].contains("ceilings")) return "";
  return j["context"]["ceilings"].get<std::string>();
}

void run_bench(const BenchOptions& o, const std::string& command) {
  std::vector<fs::path> bins = find_bench_binaries();
  YE_CHECK(!bins.empty(), "yolo bench: no bench_* binaries next to the yolo executable (build them: cmake --build ",
           "<dir> --target bench_all)");
  if (!o.only.empty())
    bins.erase(std::remove_if(bins.begin(), bins.end(),
                              [&](const fs::path& b) {
                                const std::string n = b.filename().string();
                                return n != "bench_ceilings" && std::find(o.only.begin(), o.only.end(), n) == o.only.end();
                              }),
               bins.end());
  const fs::path out = o.out;
  fs::create_directories(out);
  std::vector<std::string> env;
  if (o.short_mode) env.push_back("YE_BENCH_SHORT=1");
  std::vector<BenchOutput> outputs;
  std::string ceilings;
  for (const fs::path& b : bins)
    if (b.filename() == "bench_ceilings") {
      outputs.push_back(run_binary(b, o, out, env));
      ceilings = ceilings_of(outputs.back());
    }
  if (!ceilings.empty()) {
    write_text(out / "ceilings.json", ceilings);
    env.push_back("YE_BENCH_CEILINGS=" + fs::absolute(out / "ceilings.json").string());
  }
  for (const fs::path& b : bins)
    if (b.filename() != "bench_ceilings") outputs.push_back(run_binary(b, o, out, env));
  BenchSummary summary;
  write_text(out / "bench.md", bench_markdown(outputs, ceilings, command, summary));
  write_text(out / "bench.json", bench_merged_json(outputs, ceilings));
  for (const std::string& e : summary.error_lines) std::printf("error: %s\n", e.c_str());
  std::printf("%d rows, %d errors: %s\n", summary.rows, summary.errors, (out / "bench.md").c_str());
  YE_CHECK(summary.rows > 0, "yolo bench: no row matched the filter '", o.filter, "'");
  YE_CHECK(summary.errors == 0, "yolo bench: ", summary.errors, " failures (see ", (out / "bench.md").string(), ")");
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Run the microbenchmark suite and write its JSON and markdown table");
  cmd->add_option("--filter", o->filter, "Regex on row names (family/impl/dtype/what/shape), e.g. /cpu/ or ^conv/");
  cmd->add_option("--out", o->out, "Output folder")->capture_default_str();
  cmd->add_option("--min-time", o->min_time, "Minimum timed seconds per row")->capture_default_str()->check(
      CLI::PositiveNumber);
  cmd->add_flag("--short", o->short_mode, "Short mode (the CI run): batch 1, scale n only");
  cmd->add_option("--only", o->only, "Run only these binaries (e.g. bench_conv bench_nms)");
  cmd->callback([o] {
    std::string command = "yolo bench";
    if (!o->filter.empty()) command += " --filter '" + o->filter + "'";
    if (o->short_mode) command += " --short";
    if (o->min_time != BenchOptions{}.min_time) command += " --min-time " + yolo::py_float_repr(o->min_time);
    if (!o->only.empty())
      for (const std::string& b : o->only) command += " --only " + b;
    run_bench(*o, command);
  });
}

}  // namespace ye::cli
