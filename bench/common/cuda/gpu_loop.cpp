// DeviceBuffer, host/device conversion helpers and the GpuLoop timing loop (bench/common/cuda/gpu_loop.h).
#include "bench/common/cuda/gpu_loop.h"

#include <Eigen/Core>

#include "kernels/cuda/cuda_check.h"

namespace ye::bench {

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) { YE_CUDA_CHECK(cudaMalloc(&ptr_, bytes ? bytes : 1)); }
DeviceBuffer::~DeviceBuffer() {
  if (ptr_) cudaFree(ptr_);
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (ptr_) cudaFree(ptr_);
    ptr_ = o.ptr_, bytes_ = o.bytes_;
    o.ptr_ = nullptr, o.bytes_ = 0;
  }
  return *this;
}

namespace {
template <class H>
std::vector<H> convert(const std::vector<float>& v) {
  std::vector<H> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = H(v[i]);
  return h;
}
}  // namespace

DeviceBuffer upload(const std::vector<float>& v, DType t) {
  DeviceBuffer d(v.size() * dtype_size(t));
  const void* src = v.data();
  std::vector<Eigen::half> h;
  std::vector<Eigen::bfloat16> b;
  if (t == DType::f16) h = convert<Eigen::half>(v), src = h.data();
  if (t == DType::bf16) b = convert<Eigen::bfloat16>(v), src = b.data();
  YE_CUDA_CHECK(cudaMemcpy(d.get(), src, d.bytes(), cudaMemcpyHostToDevice));
  return d;
}

std::vector<float> download(const void* d, size_t n, DType t) {
  std::vector<float> out(n);
  if (t == DType::f32) {
    YE_CUDA_CHECK(cudaMemcpy(out.data(), d, n * 4, cudaMemcpyDeviceToHost));
    return out;
  }
  std::vector<uint16_t> raw(n);
  YE_CUDA_CHECK(cudaMemcpy(raw.data(), d, n * 2, cudaMemcpyDeviceToHost));
  for (size_t i = 0; i < n; ++i) {
    out[i] = t == DType::f16 ? float(Eigen::numext::bit_cast<Eigen::half>(raw[i]))
                             : float(Eigen::numext::bit_cast<Eigen::bfloat16>(raw[i]));
  }
  return out;
}

std::vector<uint16_t> to_bits16(const std::vector<float>& v, DType t) {
  std::vector<uint16_t> r(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    r[i] = t == DType::f16 ? Eigen::numext::bit_cast<uint16_t>(Eigen::half(v[i]))
                           : Eigen::numext::bit_cast<uint16_t>(Eigen::bfloat16(v[i]));
  return r;
}

std::vector<float> round_to(const std::vector<float>& v, DType t) {
  std::vector<float> r(v);
  if (t == DType::f16)
    for (float& x : r) x = float(Eigen::half(x));
  if (t == DType::bf16)
    for (float& x : r) x = float(Eigen::bfloat16(x));
  return r;
}

GpuLoop::GpuLoop(cudaStream_t stream) : stream_(stream) {
  int device = 0, l2 = 0;
  YE_CUDA_CHECK(cudaGetDevice(&device));
  YE_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
  flush_ = DeviceBuffer(size_t(2) * size_t(l2 > 0 ? l2 : (64 << 20)));
  YE_CUDA_CHECK(cudaEventCreate(&start_));
  YE_CUDA_CHECK(cudaEventCreate(&stop_));
}

GpuLoop::~GpuLoop() {
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
}

double GpuLoop::run(benchmark::State& st, const std::function<void()>& body) {
  body();
  YE_CUDA_CHECK(cudaStreamSynchronize(stream_));
  double total = 0;
  int rep = 0;
  for (auto _ : st) {
    YE_CUDA_CHECK(cudaMemsetAsync(flush_.get(), ++rep & 0xff, flush_.bytes(), stream_));
    YE_CUDA_CHECK(cudaEventRecord(start_, stream_));
    body();
    YE_CUDA_CHECK(cudaEventRecord(stop_, stream_));
    YE_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    YE_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    st.SetIterationTime(double(ms) / 1e3);
    total += double(ms) / 1e3;
  }
  return total;
}

}  // namespace ye::bench
