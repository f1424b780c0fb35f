// Blocking TCP sockets with deadlines, for the rendezvous and the CPU communicator: TcpSocket
// (send_all / recv_all that throw PeerError, a ye::Error, on timeout or when the peer closes; never
// hang), TcpListener (bind on an address and port, accept until a deadline), connect_with_retry.
// `peer` strings name the other side in messages ("rank 1", "rank 0 at 10.0.0.1:29500").
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

#include "kernels/error.h"

namespace ye::dist {

using Clock = std::chrono::steady_clock;

// Another process of the group is gone or unresponsive (closed link, timeout): this rank stops
// because of it, not through a fault of its own.
struct PeerError : Error {
  using Error::Error;
};

class TcpSocket {
 public:
  TcpSocket() = default;
  TcpSocket(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}
  ~TcpSocket();
  TcpSocket(TcpSocket&& o) noexcept;
  TcpSocket& operator=(TcpSocket&& o) noexcept;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& peer() const { return peer_; }
  void set_peer(std::string p) { peer_ = std::move(p); }

  void send_all(const void* data, size_t bytes, Clock::time_point deadline) const;
  void recv_all(void* data, size_t bytes, Clock::time_point deadline) const;
  // Non-consuming check: true when the peer has closed its end or the connection failed.
  bool hung_up() const;
  void close();

 private:
  int fd_ = -1;
  std::string peer_;
};

class TcpListener {
 public:
  // Binds addr:port (addr "0.0.0.0" or a numeric IPv4 address or host name). port 0 picks a free
  // port (see port()). Throws naming the address when the port is taken.
  TcpListener(const std::string& addr, int port);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  int port() const { return port_; }
  // Waits for one connection until the deadline; an invalid socket on timeout.
  TcpSocket accept(Clock::time_point deadline) const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Connects to addr:port, retrying (the listener may not be up yet) until the deadline; throws a
// ye::Error naming `peer` and the address on timeout.
TcpSocket connect_with_retry(const std::string& addr, int port, Clock::time_point deadline, const std::string& peer);

// A TCP port that was free a moment ago on 127.0.0.1 (for the launcher's MASTER_PORT).
int free_tcp_port();

}  // namespace ye::dist
