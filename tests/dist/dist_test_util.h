// Helpers of the distributed tests: run N ranks of a TCP process group as threads of this process
// (each with its own Communicator on 127.0.0.1 and a fresh port), collecting their exceptions.
#pragma once
#include <chrono>
#include <exception>
#include <functional>
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

// Runs fn(comm) on `world` threads; rethrows the first exception (by rank) after all joined.
inline void run_ranks(int world, const std::function<void(dist::Communicator&)>& fn,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  int port = dist::free_tcp_port();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      try {
        auto comm = dist::make_tcp_communicator(local_env(r, world, port), timeout);
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

inline std::string error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace ye::test
