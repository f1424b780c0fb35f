// Helpers of the distributed tests: run N ranks of a process group as threads of this process (each
// with its own Communicator on 127.0.0.1 and a fresh port; TCP here, NCCL in tests/dist/gpu),
// collecting their exceptions.
#pragma once
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/dist/communicator.h"
#include "engine/dist/tcp.h"

namespace ye::test {

inline dist::DistEnv local_env(int rank, int world, int port) {
  dist::DistEnv e;
  e.rank = rank, e.world_size = world, e.local_rank = rank, e.local_world_size = world;
  e.master_addr = "127.0.0.1";
  e.master_port = port;
  e.source = "test";
  return e;
}

using CommunicatorFactory = std::function<std::unique_ptr<dist::Communicator>(const dist::DistEnv& env)>;

// Runs fn(comm) on `world` threads, each with the communicator `make` builds for its rank (a fresh
// port per call), then shuts them down; rethrows the first exception (by rank) after all joined.
inline void run_ranks_with(int world, const CommunicatorFactory& make,
                           const std::function<void(dist::Communicator&)>& fn) {
  int port = dist::free_tcp_port();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      try {
        auto comm = make(local_env(r, world, port));
        fn(*comm);
        comm->shutdown();
      } catch (...) {
        errors[size_t(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// TCP ranks (CPU tensors).
inline void run_ranks(int world, const std::function<void(dist::Communicator&)>& fn,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  run_ranks_with(world, [&](const dist::DistEnv& env) { return dist::make_tcp_communicator(env, timeout); }, fn);
}

inline std::string error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace ye::test
