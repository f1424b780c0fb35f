// The CPU back end of Communicator: tensors travel over the rendezvous links with rank 0 as the hub
// (it sums the ranks' data in rank order, so every rank gets bit-identical results, then sends the
// result back). Meant for tests and CPU training; the GPU path is NCCL (cuda/nccl_communicator.cpp).
#include <cstring>

#include "engine/dist/communicator.h"
#include "kernels/error.h"
#include "engine/ops.h"

namespace ye::dist {
namespace {

class TcpCommunicator final : public Communicator {
 public:
  TcpCommunicator(const DistEnv& env, std::chrono::milliseconds timeout) : rv_(env, timeout) {}
  ~TcpCommunicator() override { rv_.close(); }

  int rank() const override { return rv_.rank(); }
  int world_size() const override { return rv_.world_size(); }
  Device device() const override { return Device::cpu(); }
  const char* backend() const override { return "tcp"; }

  void all_reduce(const Tensor& t, ReduceOp op) override {
    check_tensor(t, "all_reduce");
    if (world_size() == 1 || t.numel() == 0) return;
    // Reduce in f32 whatever the tensor's dtype.
    Tensor acc = t.dtype() == DType::f32 ? t : ops::cast(t, DType::f32);
    float* data = acc.data_as<float>();
    size_t bytes = size_t(acc.numel()) * sizeof(float);
    auto deadline = rv_.deadline();
    if (rank() == 0) {
      std::vector<float> in(size_t(acc.numel()));
      for (int r = 1; r < world_size(); ++r) {
        rv_.link(r).recv_all(in.data(), bytes, deadline);
        for (size_t i = 0; i < in.size(); ++i) data[i] += in[i];
      }
      if (op == ReduceOp::average) {
        float inv = 1.0f / float(world_size());
        for (int64_t i = 0; i < acc.numel(); ++i) data[i] *= inv;
      }
      for (int r = 1; r < world_size(); ++r) rv_.link(r).send_all(data, bytes, deadline);
    } else {
      rv_.link(0).send_all(data, bytes, deadline);
      rv_.link(0).recv_all(data, bytes, deadline);
    }
    if (!acc.same_storage(t)) ops::copy_(t, acc);
  }

  void broadcast(const Tensor& t, int root) override {
    check_tensor(t, "broadcast");
    YE_CHECK(root == 0, "broadcast: the TCP back end broadcasts from rank 0 only, not rank ", root);
    rv_.broadcast_bytes(t.data(), t.nbytes());
  }

  void barrier() override { rv_.barrier(); }
  double all_reduce_host(double value, HostOp op) override { return rv_.all_reduce_host(value, op); }
  void shutdown() override {
    rv_.barrier();
    rv_.close();
  }

 private:
  void check_tensor(const Tensor& t, const char* what) const {
    YE_CHECK(t.defined() && t.device().is_cpu(), what, ": the TCP back end takes CPU tensors");
    YE_CHECK(t.is_contiguous(), what, ": the tensor must be contiguous");
    YE_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f16 || t.dtype() == DType::bf16, what,
             ": f32, f16 or bf16 tensors only, got ", dtype_name(t.dtype()));
  }
  Rendezvous rv_;
};

}  // namespace

std::unique_ptr<Communicator> make_tcp_communicator(const DistEnv& env, std::chrono::milliseconds timeout) {
  return std::make_unique<TcpCommunicator>(env, timeout);
}

}  // namespace ye::dist
