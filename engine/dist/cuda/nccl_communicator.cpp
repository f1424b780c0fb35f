// NCCL communicator (see nccl_communicator.h). Every collective: an event on the compute stream, the
// communication stream waits on it, NCCL runs there, and a completion event is both waited on by the
// compute stream (synchronous forms) and watched by the watchdog thread for the timeout.
#include "engine/dist/cuda/nccl_communicator.h"

#include <nccl.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/error.h"

namespace ye::dist {
namespace {

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::f32: return ncclFloat32;
    case DType::f16: return ncclFloat16;
    case DType::bf16: return ncclBfloat16;
    default: YE_FAIL("NCCL: f32, f16 or bf16 tensors only, got ", dtype_name(t));
  }
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(const DistEnv& env, Device device, std::chrono::milliseconds timeout)
      : rv_(env, timeout), device_(device) {
    YE_CHECK(device.is_cuda(), "NCCL needs a CUDA device, got ", device.str());
    cuda::set_device(device.index);
    compute_ = cuda::context(device.index).stream;
    ncclUniqueId id{};
    if (rv_.rank() == 0) YE_NCCL_CHECK(ncclGetUniqueId(&id));
    rv_.broadcast_bytes(&id, sizeof(id));
    ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
    cfg.blocking = 0;
    ncclResult_t r = ncclCommInitRankConfig(&comm_, rv_.world_size(), id, rv_.rank(), &cfg);
    if (r != ncclSuccess && r != ncclInProgress) {
      if (comm_) ncclCommAbort(comm_);
      comm_ = nullptr;
      YE_FAIL("rank ", rv_.rank(), ": ncclCommInitRankConfig failed: ", ncclGetErrorString(r));
    }
    wait_ready("ncclCommInitRankConfig", rv_.deadline());
    YE_CUDA_CHECK(cudaStreamCreateWithFlags(&comm_stream_, cudaStreamNonBlocking));
    YE_CUDA_CHECK(cudaEventCreateWithFlags(&compute_ready_, cudaEventDisableTiming));
    YE_CUDA_CHECK(cudaEventCreateWithFlags(&async_done_, cudaEventDisableTiming));
    watchdog_ = std::thread([this] { watch(); });
  }

  ~NcclCommunicator() override {
    stop_watchdog();
    if (comm_) ncclCommAbort(comm_);  // an unclean end (exception): peers see the links close
    release_cuda();
    rv_.close();
  }

  int rank() const override { return rv_.rank(); }
  int world_size() const override { return rv_.world_size(); }
  Device device() const override { return device_; }
  const char* backend() const override { return "nccl"; }

  void all_reduce(const Tensor& t, ReduceOp op) override {
    check_tensor(t, "all_reduce");
    if (t.numel() == 0) return;
    begin_on_comm_stream();
    ncclResult_t r = ncclAllReduce(t.data(), t.data(), size_t(t.numel()), nccl_type(t.dtype()), nccl_op(op), comm_,
                                   comm_stream_);
    check(r, "ncclAllReduce");
    cudaEvent_t done = end_on_comm_stream("all_reduce");
    YE_CUDA_CHECK(cudaStreamWaitEvent(compute_, done, 0));
  }

  void broadcast(const Tensor& t, int root) override {
    check_tensor(t, "broadcast");
    YE_CHECK(root >= 0 && root < world_size(), "broadcast from rank ", root, " of ", world_size());
    if (t.numel() == 0) return;
    begin_on_comm_stream();
    ncclResult_t r = ncclBroadcast(t.data(), t.data(), size_t(t.numel()), nccl_type(t.dtype()), root, comm_,
                                   comm_stream_);
    check(r, "ncclBroadcast");
    cudaEvent_t done = end_on_comm_stream("broadcast");
    YE_CUDA_CHECK(cudaStreamWaitEvent(compute_, done, 0));
  }

  void all_reduce_async(const std::vector<Tensor>& parts, ReduceOp op) override {
    for (const Tensor& p : parts) check_tensor(p, "all_reduce_async");
    begin_on_comm_stream();
    YE_NCCL_CHECK(ncclGroupStart());
    for (const Tensor& p : parts) {
      ncclResult_t r = ncclAllReduce(p.data(), p.data(), size_t(p.numel()), nccl_type(p.dtype()), nccl_op(op), comm_,
                                     comm_stream_);
      if (r != ncclSuccess && r != ncclInProgress) check(r, "ncclAllReduce (bucket)");
    }
    check(ncclGroupEnd(), "ncclGroupEnd (gradient bucket)");
    end_on_comm_stream("gradient bucket all_reduce");
    YE_CUDA_CHECK(cudaEventRecord(async_done_, comm_stream_));
    async_pending_ = true;
  }

  void wait_async() override {
    if (!async_pending_) return;
    YE_CUDA_CHECK(cudaStreamWaitEvent(compute_, async_done_, 0));
    async_pending_ = false;
  }

  void barrier() override { rv_.barrier(); }
  double all_reduce_host(double value, HostOp op) override { return rv_.all_reduce_host(value, op); }

  void shutdown() override {
    YE_CUDA_CHECK(cudaStreamSynchronize(comm_stream_));  // the watchdog still guards this wait
    rv_.barrier();
    stop_watchdog();
    ncclResult_t r = ncclCommFinalize(comm_);
    // A peer that finished finalizing first may close its link while this rank still polls: not a failure
    // here. The barrier after it keeps every link open until all ranks have finalized.
    if (r == ncclInProgress || r == ncclSuccess) wait_ready("ncclCommFinalize", rv_.deadline(), false);
    rv_.barrier();
    ncclCommDestroy(comm_);
    comm_ = nullptr;
    release_cuda();
    rv_.close();
  }

 private:
  struct Pending {
    cudaEvent_t done;
    Clock::time_point launched;
    const char* what;
  };

  static ncclRedOp_t nccl_op(ReduceOp op) { return op == ReduceOp::average ? ncclAvg : ncclSum; }

  void check_tensor(const Tensor& t, const char* what) const {
    YE_CHECK(t.defined() && t.device() == device_, what, ": tensor on ", t.defined() ? t.device().str() : "nothing",
             ", the communicator is on ", device_.str());
    YE_CHECK(t.is_contiguous(), what, ": the tensor must be contiguous");
  }

  // A non-blocking NCCL call returned r: wait until the communicator is ready, or fail.
  void check(ncclResult_t r, const char* what) {
    if (r == ncclSuccess) return;
    if (r == ncclInProgress) return wait_ready(what, rv_.deadline());
    fail_and_abort(std::string(what) + " failed: " + ncclGetErrorString(r));
  }

  void wait_ready(const char* what, Clock::time_point deadline, bool watch_peers = true) {
    const Clock::time_point spin_until = Clock::now() + std::chrono::milliseconds(2);  // enqueues finish in us
    while (true) {
      ncclResult_t st = ncclSuccess;
      ncclCommGetAsyncError(comm_, &st);
      if (st == ncclSuccess) return;
      if (st != ncclInProgress) fail_and_abort(std::string(what) + ": " + ncclGetErrorString(st));
      int gone = watch_peers ? rv_.hung_up_peer() : -1;
      if (gone >= 0) fail_and_abort(std::string(what) + ": rank " + std::to_string(gone) + " exited or failed", true);
      if (Clock::now() > deadline)
        fail_and_abort(std::string(what) + " did not complete within " +
                       std::to_string(rv_.timeout().count() / 1000) + " s (YE_DIST_TIMEOUT)", true);
      if (Clock::now() < spin_until)
        std::this_thread::yield();
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  [[noreturn]] void fail_and_abort(const std::string& msg, bool peer = false) {
    stop_watchdog();  // it must not touch the communicator being aborted
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
    if (peer) throw PeerError("NCCL: " + msg);
    throw Error("NCCL: " + msg);
  }

  void begin_on_comm_stream() {
    YE_CHECK(comm_, "NCCL communicator used after shutdown or a failure");
    YE_CUDA_CHECK(cudaEventRecord(compute_ready_, compute_));
    YE_CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, compute_ready_, 0));
  }

  cudaEvent_t end_on_comm_stream(const char* what) {
    cudaEvent_t ev = nullptr;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!free_events_.empty()) {
        ev = free_events_.back();
        free_events_.pop_back();
      }
    }
    if (!ev) YE_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
    YE_CUDA_CHECK(cudaEventRecord(ev, comm_stream_));
    std::lock_guard<std::mutex> lk(mu_);
    pending_.push_back({ev, Clock::now(), what});
    return ev;
  }

  // The watchdog: peers' links, NCCL's asynchronous errors and collective timeouts. A failure here
  // cannot be thrown to the main thread (it may be blocked on the device), so it aborts NCCL, says
  // what happened and ends the process.
  void watch() {
    cudaSetDevice(device_.index);
    while (!stop_.load()) {
      std::string failure;
      bool peer_lost = true;
      int gone = rv_.hung_up_peer();
      if (gone >= 0) failure = "rank " + std::to_string(gone) + " exited or failed (its connection closed)";
      ncclResult_t st = ncclSuccess;
      if (failure.empty() && comm_ && ncclCommGetAsyncError(comm_, &st) == ncclSuccess && st != ncclSuccess &&
          st != ncclInProgress)
        failure = std::string("NCCL reported: ") + ncclGetErrorString(st), peer_lost = false;
      if (failure.empty()) failure = check_pending();
      if (!failure.empty()) {
        std::fprintf(stderr, "error: rank %d: %s; aborting the process group\n", rank(), failure.c_str());
        std::fflush(stderr);
        if (comm_) ncclCommAbort(comm_);
        std::_Exit(peer_lost ? kPeerLostExitCode : 1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::string check_pending() {
    std::lock_guard<std::mutex> lk(mu_);
    while (!pending_.empty()) {
      Pending& p = pending_.front();
      cudaError_t q = cudaEventQuery(p.done);
      if (q == cudaSuccess) {
        free_events_.push_back(p.done);
        pending_.pop_front();
        continue;
      }
      if (q != cudaErrorNotReady) return std::string(p.what) + ": CUDA error " + cudaGetErrorString(q);
      if (Clock::now() - p.launched > rv_.timeout())
        return std::string(p.what) + " did not complete within " + std::to_string(rv_.timeout().count() / 1000) +
               " s (YE_DIST_TIMEOUT): a rank is hung or stopped calling collectives";
      break;
    }
    return {};
  }

  void stop_watchdog() {
    stop_.store(true);
    if (watchdog_.joinable()) watchdog_.join();
  }

  void release_cuda() {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& p : pending_) free_events_.push_back(p.done);
    pending_.clear();
    for (cudaEvent_t e : free_events_) cudaEventDestroy(e);
    free_events_.clear();
    if (compute_ready_) cudaEventDestroy(compute_ready_);
    if (async_done_) cudaEventDestroy(async_done_);
    if (comm_stream_) cudaStreamDestroy(comm_stream_);
    compute_ready_ = async_done_ = nullptr;
    comm_stream_ = nullptr;
  }

  Rendezvous rv_;
  Device device_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t compute_ = nullptr, comm_stream_ = nullptr;
  cudaEvent_t compute_ready_ = nullptr, async_done_ = nullptr;
  bool async_pending_ = false;
  std::mutex mu_;
  std::deque<Pending> pending_;
  std::vector<cudaEvent_t> free_events_;
  std::atomic<bool> stop_{false};
  std::thread watchdog_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(const DistEnv& env, Device device,
                                                     std::chrono::milliseconds timeout) {
  return std::make_unique<NcclCommunicator>(env, device, timeout);
}

}  // namespace ye::dist
