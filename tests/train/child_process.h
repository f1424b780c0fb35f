// A child process for tests that run the real `yolo` binary: started with fork/exec in a given
// working directory with stdout and stderr to a log file, signalled, and waited for with a deadline.
// Defines ChildProcess and yolo_binary() (./yolo of the build folder, the tests' working directory).
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ye::test {

// The `yolo` executable built beside the test binaries (ctest runs tests in the build folder).
inline std::filesystem::path yolo_binary() { return std::filesystem::absolute("yolo"); }

class ChildProcess {
 public:
  // Starts `program args...` in `cwd`, its stdout and stderr appended to `log`, with this process's
  // environment plus `env` ("NAME=value", replacing a variable of the same name; "NAME=" alone
  // removes it). pid() < 0 on failure.
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
               const std::filesystem::path& cwd, const std::filesystem::path& log,
               const std::vector<std::string>& env = {})
      : log_(log) {
    std::vector<std::string> all{program.string()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> vars = merged_environment(env);
    std::vector<char*> envp;
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string dir = cwd.string(), log_path = log.string();
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd < 0 || ::chdir(dir.c_str()) != 0) ::_exit(127);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  bool running() {
    poll();
    return pid_ > 0 && !done_;
  }
  void signal(int sig) const { ::kill(pid_, sig); }

  // Waits until the child exits; kills it and returns false after `limit`.
  bool wait(std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (running()) {
      if (std::chrono::steady_clock::now() > end) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        done_ = true;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pid_ > 0;
  }
  // The exit status (0..255), or -signal when the child was killed by a signal.
  int exit_code() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_); }
  std::string log_text() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  static std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
    auto name_of = [](const std::string& v) { return v.substr(0, v.find('=')); };
    std::vector<std::string> out;
    for (char** e = environ; *e; ++e) {
      std::string v = *e;
      bool replaced = false;
      for (const auto& x : extra) replaced = replaced || name_of(x) == name_of(v);
      if (!replaced) out.push_back(v);
    }
    for (const auto& x : extra)
      if (x.back() != '=') out.push_back(x);
    return out;
  }
  void poll() {
    if (pid_ > 0 && !done_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) done_ = true;
  }
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool done_ = false;
};

}  // namespace ye::test
