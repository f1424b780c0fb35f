// Rendezvous over TCP (see rendezvous.h): handshake (magic, rank, world size), host-value reductions
// in rank order at rank 0, barrier, liveness polling of the links.
#include "engine/dist/rendezvous.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/error.h"
#include "engine/dist/tcp.h"

namespace ye::dist {
namespace {
constexpr uint32_t kMagic = 0x59454444;  // "YEDD"
struct Hello {
  uint32_t magic;
  int32_t rank, world;
};

std::string rank_name(int r) { return "rank " + std::to_string(r); }
}  // namespace

Rendezvous::Rendezvous(const DistEnv& env, std::chrono::milliseconds timeout)
    : rank_(env.rank), world_(env.world_size), timeout_(timeout) {
  if (world_ == 1) return;
  Clock::time_point deadline = Clock::now() + timeout_;
  std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  if (rank_ == 0) {
    links_.resize(size_t(world_));
    TcpListener listener(env.master_addr, env.master_port);
    int joined = 1;
    while (joined < world_) {
      TcpSocket s = listener.accept(deadline);
      if (!s.valid()) {
        std::string missing;
        for (int r = 1; r < world_; ++r)
          if (!links_[size_t(r)].valid()) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
        throw PeerError("rendezvous timed out after " + std::to_string(timeout_.count() / 1000) + " s on " + where +
                    ": rank(s) " + missing + " of " + std::to_string(world_) +
                    " never connected (did they start, with the same MASTER_ADDR/MASTER_PORT?)");
      }
      Hello h{};
      try {
        s.recv_all(&h, sizeof(h), std::min(deadline, Clock::now() + std::chrono::seconds(10)));
      } catch (const Error&) {
        continue;  // not one of ours
      }
      if (h.magic != kMagic) continue;
      YE_CHECK(h.world == world_, "rank ", h.rank, " has WORLD_SIZE=", h.world, " but rank 0 has ", world_);
      YE_CHECK(h.rank > 0 && h.rank < world_, "a process connected as rank ", h.rank, " (WORLD_SIZE=", world_, ")");
      YE_CHECK(!links_[size_t(h.rank)].valid(), "two processes connected as rank ", h.rank,
               ": every process needs its own RANK");
      s.set_peer(rank_name(h.rank));
      links_[size_t(h.rank)] = std::move(s);
      ++joined;
    }
    Hello welcome{kMagic, 0, world_};
    for (int r = 1; r < world_; ++r) links_[size_t(r)].send_all(&welcome, sizeof(welcome), deadline);
  } else {
    links_.resize(1);
    links_[0] = connect_with_retry(env.master_addr, env.master_port, deadline, "rank 0");
    Hello h{kMagic, rank_, world_};
    links_[0].send_all(&h, sizeof(h), deadline);
    Hello welcome{};
    links_[0].recv_all(&welcome, sizeof(welcome), deadline);
    YE_CHECK(welcome.magic == kMagic && welcome.world == world_, "rank 0 at ", where, " answered with world size ",
             welcome.world, ", this rank has ", world_);
  }
}

const TcpSocket& Rendezvous::link(int peer) const {
  YE_CHECK(world_ > 1, "a world of one process has no links");
  if (rank_ == 0) {
    YE_CHECK(peer > 0 && peer < world_, "no link to rank ", peer);
    return links_[size_t(peer)];
  }
  YE_CHECK(peer == 0, "rank ", rank_, " is linked to rank 0 only, not rank ", peer);
  return links_[0];
}

void Rendezvous::broadcast_bytes(void* data, size_t bytes) {
  if (world_ == 1) return;
  auto deadline = this->deadline();
  if (rank_ == 0) {
    for (int r = 1; r < world_; ++r) link(r).send_all(data, bytes, deadline);
  } else {
    link(0).recv_all(data, bytes, deadline);
  }
}

double Rendezvous::all_reduce_host(double value, HostOp op) {
  if (world_ == 1) return value;
  auto deadline = this->deadline();
  if (rank_ != 0) {
    link(0).send_all(&value, sizeof(value), deadline);
    link(0).recv_all(&value, sizeof(value), deadline);
    return value;
  }
  for (int r = 1; r < world_; ++r) {
    double v = 0;
    link(r).recv_all(&v, sizeof(v), deadline);
    value = op == HostOp::sum ? value + v : op == HostOp::max ? std::max(value, v) : std::min(value, v);
  }
  for (int r = 1; r < world_; ++r) link(r).send_all(&value, sizeof(value), deadline);
  return value;
}

void Rendezvous::barrier() { all_reduce_host(0.0, HostOp::sum); }

int Rendezvous::hung_up_peer() const {
  if (world_ == 1) return -1;
  if (rank_ != 0) return links_[0].hung_up() ? 0 : -1;
  for (int r = 1; r < world_; ++r)
    if (links_[size_t(r)].hung_up()) return r;
  return -1;
}

void Rendezvous::close() {
  for (auto& l : links_) l.close();
}

}  // namespace ye::dist
