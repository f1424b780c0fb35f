// POSIX implementation of the deadline-bounded TCP sockets (see tcp.h): poll() before every send and
// receive, MSG_NOSIGNAL, TCP_NODELAY, connect retries with backoff.
#include "engine/dist/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>

#include "kernels/error.h"

namespace ye::dist {
namespace {
int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return int(std::max<int64_t>(0, std::min<int64_t>(left, 1 << 30)));
}

std::string seconds_text(Clock::time_point deadline, Clock::time_point start) {
  return std::to_string(std::lround(std::chrono::duration<double>(deadline - start).count()));
}

bool resolve_ipv4(const std::string& addr, int port, sockaddr_in* out) {
  std::memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_port = htons(uint16_t(port));
  if (inet_pton(AF_INET, addr.c_str(), &out->sin_addr) == 1) return true;
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(addr.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  out->sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return true;
}

void tune(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// poll() of fd for `events` until the deadline, retried on EINTR: > 0 ready, 0 timed out, < 0 error.
int poll_until(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd pfd{fd, events, 0};
    int r = ::poll(&pfd, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}
}  // namespace

TcpSocket::~TcpSocket() { close(); }
TcpSocket::TcpSocket(TcpSocket&& o) noexcept : fd_(o.fd_), peer_(std::move(o.peer_)) { o.fd_ = -1; }
TcpSocket& TcpSocket::operator=(TcpSocket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    peer_ = std::move(o.peer_);
    o.fd_ = -1;
  }
  return *this;
}

void TcpSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TcpSocket::send_all(const void* data, size_t bytes, Clock::time_point deadline) const {
  YE_CHECK(fd_ >= 0, "send to ", peer_, ": the connection is closed");
  auto start = Clock::now();
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    if (poll_until(fd_, POLLOUT, deadline) == 0)
      throw PeerError("timed out after " + seconds_text(deadline, start) + " s sending to " + peer_ +
                  " (it stopped reading: hung or stuck in other work; raise YE_DIST_TIMEOUT if it is just slow)");
    ssize_t n = ::send(fd_, p, bytes, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0)
      throw PeerError("lost the connection to " + peer_ + " while sending (" + std::strerror(errno) +
                  "): that process has exited or failed");
    p += n;
    bytes -= size_t(n);
  }
}

void TcpSocket::recv_all(void* data, size_t bytes, Clock::time_point deadline) const {
  YE_CHECK(fd_ >= 0, "receive from ", peer_, ": the connection is closed");
  auto start = Clock::now();
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    if (poll_until(fd_, POLLIN, deadline) == 0)
      throw PeerError("timed out after " + seconds_text(deadline, start) + " s waiting for " + peer_ +
                  " (it is hung or stuck in other work; raise YE_DIST_TIMEOUT if it is just slow)");
    ssize_t n = ::recv(fd_, p, bytes, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n == 0) throw PeerError("lost the connection to " + peer_ + ": that process has exited or failed");
    if (n < 0) throw PeerError("receiving from " + peer_ + " failed: " + std::strerror(errno));
    p += n;
    bytes -= size_t(n);
  }
}

bool TcpSocket::hung_up() const {
  if (fd_ < 0) return true;
  pollfd pfd{fd_, POLLRDHUP, 0};
  int r = ::poll(&pfd, 1, 0);
  return r > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

TcpListener::TcpListener(const std::string& addr, int port) {
  sockaddr_in sa{};
  YE_CHECK(resolve_ipv4(addr, port, &sa), "MASTER_ADDR ", addr, " does not resolve to an IPv4 address");
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  YE_CHECK(fd_ >= 0, "socket() failed: ", std::strerror(errno));
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw Error("rank 0 cannot listen on " + addr + ":" + std::to_string(port) + " (" + std::strerror(err) +
                "): set MASTER_PORT to a free port" + (err == EADDRNOTAVAIL ? " and MASTER_ADDR to this host" : ""));
  }
  YE_CHECK(::listen(fd_, 128) == 0, "listen() on port ", port, " failed: ", std::strerror(errno));
  socklen_t len = sizeof(sa);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
}

TcpListener::~TcpListener() {
  if (fd_ >= 0) ::close(fd_);
}

TcpSocket TcpListener::accept(Clock::time_point deadline) const {
  while (true) {
    if (poll_until(fd_, POLLIN, deadline) <= 0) return TcpSocket();
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    tune(fd);
    return TcpSocket(fd, "a peer");
  }
}

TcpSocket connect_with_retry(const std::string& addr, int port, Clock::time_point deadline, const std::string& peer) {
  auto start = Clock::now();
  sockaddr_in sa{};
  YE_CHECK(resolve_ipv4(addr, port, &sa), "MASTER_ADDR ", addr, " does not resolve to an IPv4 address");
  std::string last = "no attempt";
  auto delay = std::chrono::milliseconds(10);
  do {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    YE_CHECK(fd >= 0, "socket() failed: ", std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
      tune(fd);
      return TcpSocket(fd, peer);
    }
    last = std::strerror(errno);
    ::close(fd);
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(500));
  } while (Clock::now() < deadline);
  throw PeerError("could not reach " + peer + " at " + addr + ":" + std::to_string(port) + " within " +
              seconds_text(deadline, start) + " s (" + last + "): is rank 0 running, and are MASTER_ADDR and "
              "MASTER_PORT the same on every rank?");
}

int free_tcp_port() {
  TcpListener l("127.0.0.1", 0);
  return l.port();
}

}  // namespace ye::dist
