// The liveness watch (see liveness.h): fixed-size frames (magic, kind, payload) both ways on each
// link of its own star; non-blocking sends that skip beats while a stalled peer's socket is full;
// poll() over the links and an eventfd until the next beat or the next silence deadline.
#include "engine/dist/liveness.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernels/error.h"

namespace ye::dist {
namespace {
constexpr uint32_t kFrameMagic = 0x5945424C;  // "YEBL"
enum class FrameKind : uint32_t { beat = 1, bye = 2 };
struct FrameHeader {
  uint32_t magic;
  FrameKind kind;
};
// How long finish() may spend telling the peers bye (a peer that stopped reading gets none).
constexpr std::chrono::seconds kByeTimeout{1};

// One linked rank, as the watch thread sees it.
struct Peer {
  int rank = -1;
  const TcpSocket* link = nullptr;
  std::vector<std::byte> inbox, outbox, last_payload;
  Clock::time_point last_heard;
  bool any_beat = false;
  bool active = true;  // beating and watched; false once it said bye or was reported lost
};

// Sends what p's outbox holds as far as its socket takes it now; the rest waits for the next call.
void send_pending(Peer& p) {
  while (!p.outbox.empty()) {
    ssize_t n = ::send(p.link->fd(), p.outbox.data(), p.outbox.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      p.outbox.erase(p.outbox.begin(), p.outbox.begin() + n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (!(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) p.outbox.clear();  // broken: receive() tells
      return;
    }
  }
}

// Reads what p's link holds and takes in its whole frames. False when the link closed or broke, or
// carries something other than liveness frames.
bool receive(Peer& p, size_t frame_bytes, Clock::time_point now) {
  bool open = true;
  std::byte buf[4096];
  while (true) {
    ssize_t n = ::recv(p.link->fd(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      p.inbox.insert(p.inbox.end(), buf, buf + n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    open = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    break;
  }
  size_t at = 0;
  for (; p.active && p.inbox.size() - at >= frame_bytes; at += frame_bytes) {
    FrameHeader h{};
    std::memcpy(&h, p.inbox.data() + at, sizeof h);
    if (h.magic != kFrameMagic || (h.kind != FrameKind::beat && h.kind != FrameKind::bye)) return false;
    if (h.kind == FrameKind::bye) {
      p.active = false;
      break;
    }
    auto payload = p.inbox.begin() + std::ptrdiff_t(at + sizeof h);
    p.last_payload.assign(payload, payload + std::ptrdiff_t(frame_bytes - sizeof h));
    p.last_heard = now;
    p.any_beat = true;
  }
  p.inbox.erase(p.inbox.begin(), p.inbox.begin() + std::ptrdiff_t(at));
  return open;
}

void report_lost(Peer& p, bool hung_up, Clock::time_point now, const std::function<void(const LostPeer&)>& on_lost) {
  p.active = false;
  LostPeer lost;
  lost.rank = p.rank;
  lost.hung_up = hung_up;
  lost.silent_s = std::chrono::duration<double>(now - p.last_heard).count();
  lost.any_beat = p.any_beat;
  lost.last_payload = p.last_payload;
  lost.last_beat_at = p.last_heard;
  on_lost(lost);
}

// Milliseconds from now until t, rounded up (poll() must not wake just before a deadline), >= 0.
int poll_ms_until(Clock::time_point t, Clock::time_point now) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - now).count();
  return int(std::clamp<int64_t>((us + 999) / 1000, 0, 1 << 30));
}
}  // namespace

LivenessWatch::LivenessWatch(const DistEnv& env, std::chrono::milliseconds rendezvous_timeout, LivenessOptions options)
    : star_(env, rendezvous_timeout), options_(std::move(options)) {
  YE_CHECK(env.distributed(), "a liveness watch needs a group of at least two ranks");
  YE_CHECK(options_.on_lost, "LivenessWatch: no on_lost handler");
  YE_CHECK(options_.payload_bytes == 0 || options_.write_payload, "LivenessWatch: ", options_.payload_bytes,
           " payload bytes but no write_payload");
  YE_CHECK(options_.interval.count() > 0 && options_.timeout > options_.interval, "LivenessWatch: timeout ",
           options_.timeout.count(), " ms must exceed the beat interval ", options_.interval.count(), " ms");
  // Every rank must beat the same frame size. This round trip also keeps the header's promise: no
  // rank gets past it before rank 0 answers, and rank 0's listener closed when its star was formed.
  double most = star_.all_reduce_host(double(options_.payload_bytes), HostOp::max);
  double least = star_.all_reduce_host(double(options_.payload_bytes), HostOp::min);
  YE_CHECK(most == least, "the ranks' liveness beats differ in size (", least, " to ", most,
           " payload bytes): every rank must run the same program");
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  YE_CHECK(wake_fd_ >= 0, "eventfd() failed: ", std::strerror(errno));
  thread_ = std::thread([this] { run(); });
}

LivenessWatch::~LivenessWatch() {
  stop(false);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void LivenessWatch::finish() { stop(true); }

void LivenessWatch::stop(bool say_bye) {
  if (!thread_.joinable()) return;
  say_bye_.store(say_bye);
  const uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
  star_.close();
}

void LivenessWatch::run() {
  const size_t frame_bytes = sizeof(FrameHeader) + options_.payload_bytes;
  auto frame = [&](FrameKind kind) {
    std::vector<std::byte> f(frame_bytes);
    FrameHeader h{kFrameMagic, kind};
    std::memcpy(f.data(), &h, sizeof h);
    if (kind == FrameKind::beat && options_.payload_bytes > 0)
      options_.write_payload(std::span<std::byte>(f.data() + sizeof h, options_.payload_bytes));
    return f;
  };
  std::vector<Peer> peers;
  for (int r = 0; r < star_.world_size(); ++r)
    if (r != star_.rank() && (star_.rank() == 0 || r == 0)) {
      peers.emplace_back();
      peers.back().rank = r;
      peers.back().link = &star_.link(r);
      peers.back().last_heard = Clock::now();
    }

  std::vector<pollfd> fds;
  Clock::time_point next_beat = Clock::now();
  while (true) {
    Clock::time_point now = Clock::now();
    if (now >= next_beat) {
      const std::vector<std::byte> beat = frame(FrameKind::beat);
      for (Peer& p : peers)
        if (p.active && p.outbox.empty()) p.outbox = beat;  // a backlog means the peer is not reading: skip
      next_beat = now + options_.interval;
      now = Clock::now();  // write_payload may have taken a while
    }
    Clock::time_point wake_at = next_beat;
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    for (Peer& p : peers) {
      if (!p.active) continue;
      send_pending(p);
      // What arrived is taken in before silence is judged (this thread may itself have been held up).
      bool open = receive(p, frame_bytes, now);
      if (!p.active) continue;  // it said bye
      if (!open || now - p.last_heard >= options_.timeout) {
        report_lost(p, !open, now, options_.on_lost);
        continue;
      }
      wake_at = std::min(wake_at, p.last_heard + options_.timeout);
      fds.push_back(pollfd{p.link->fd(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), poll_ms_until(wake_at, now)) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;
  }

  if (!say_bye_.load()) return;
  const std::vector<std::byte> bye = frame(FrameKind::bye);
  const Clock::time_point deadline = Clock::now() + kByeTimeout;
  for (Peer& p : peers) {
    if (!p.active) continue;
    try {
      if (!p.outbox.empty()) p.link->send_all(p.outbox.data(), p.outbox.size(), deadline);
      p.link->send_all(bye.data(), bye.size(), deadline);
    } catch (const Error&) {
      // A peer that stopped reading or is gone gets no bye: it is not watching this rank anyway.
    }
  }
}

}  // namespace ye::dist
