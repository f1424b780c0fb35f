// Data pipeline benchmarks: training batches (imgsz 640, batch 16, mosaic defaults) per worker count
// from JPEG files and from the RAM cache, one-core sample throughput, and the hot loops alone (JPEG
// decode, resize, affine warp, HSV). Data: the shared coco128 train split (label cache not written).
// images/cpu_s = images per second of CPU time of all threads (per-core rate, robust to a busy host).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "data/image.h"
#include "data/loader.h"
#include "data/pixel_ops.h"

using namespace ye::data;

namespace {

std::shared_ptr<const Dataset> coco128_train() {
  static std::shared_ptr<const Dataset> ds = [] {
    DatasetOptions o;
    o.label_cache = false;
    o.log = nullptr;
    auto cfg = load_dataset_yaml(YE_SOURCE_DIR "/../shared/datasets/coco128/coco128.yaml");
    return std::make_shared<const Dataset>(Dataset::load(cfg, "train", o));
  }();
  return ds;
}

LoaderOptions train_options(int workers, bool cache, int recent_images = -1) {
  LoaderOptions o;
  o.imgsz = 640, o.batch_size = 16, o.workers = workers, o.cache_ram = cache, o.log = nullptr;
  o.recent_images = recent_images;
  return o;
}

// Process CPU seconds (all threads), to report images per CPU-core-second next to wall-clock rates.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void run_loader(benchmark::State& state, bool cache, int recent_images = -1) {
  Loader loader(coco128_train(), train_options(int(state.range(0)), cache, recent_images));
  int epoch = 0;
  loader.set_epoch(epoch);
  int64_t images = 0;
  loader.next();  // warm-up: the prefetch window is full from here on, at the start as at the end
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    auto b = loader.next();
    if (!b) {
      loader.set_epoch(++epoch);
      b = loader.next();
    }
    images += b->batch_size;
    benchmark::DoNotOptimize(b->images);
  }
  state.counters["images/s"] = benchmark::Counter(double(images), benchmark::Counter::kIsRate);
  state.counters["batches/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["images/cpu_s"] = double(images) / std::max(1e-9, process_cpu_seconds() - cpu0);
}

// coco128's 102 images fit the loader's recent-image LRU, so after the first batches this decodes
// nothing; _NoReuse turns the LRU off: 4 JPEG decodes per mosaic sample, the worst case (a large
// dataset sits in between, about 1 decode per sample).
void BM_TrainBatches_Jpeg(benchmark::State& state) { run_loader(state, false); }
void BM_TrainBatches_Jpeg_NoReuse(benchmark::State& state) { run_loader(state, false, 0); }
void BM_TrainBatches_RamCache(benchmark::State& state) { run_loader(state, true); }

// One core, one sample at a time: mosaic + affine + HSV + flip from the RAM cache.
void BM_MosaicSample_RamCache_OneCore(benchmark::State& state) {
  static Loader loader(coco128_train(), train_options(0, true));
  size_t i = 0;
  for (auto _ : state) {
    Sample s = loader.make_sample(i++ % loader.dataset().size(), 0, true);
    benchmark::DoNotOptimize(s.img.px.data());
  }
  state.counters["images/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

const std::string& first_jpeg() { return (*coco128_train())[0].image_path; }

void BM_DecodeJpeg(benchmark::State& state) {
  auto bytes = read_file_bytes(first_jpeg());
  for (auto _ : state) benchmark::DoNotOptimize(decode_image(bytes.data(), bytes.size(), "x").px.data());
  state.counters["images/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_ResizeBilinear_480x640_to_360x480(benchmark::State& state) {
  Image src = load_image(first_jpeg());
  for (auto _ : state) benchmark::DoNotOptimize(resize_bilinear(src, 360, 480).px.data());
}

void BM_WarpAffine_1280_to_640(benchmark::State& state) {
  Image src(1280, 1280, 114), dst(640, 640);
  for (size_t i = 0; i < src.px.size(); ++i) src.px[i] = uint8_t(i * 31);
  const std::array<double, 6> M{1.1, 0.0, -300.0, 0.0, 1.1, -310.0};
  for (auto _ : state) {
    warp_affine(src, dst, M);
    benchmark::DoNotOptimize(dst.px.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(dst.px.size()));
}

void BM_Hsv_640(benchmark::State& state) {  // includes a 1.2 MB copy so every pass sees the same pixels
  Image src(640, 640), img(640, 640);
  for (size_t i = 0; i < src.px.size(); ++i) src.px[i] = uint8_t((i * 2654435761u) >> 9);
  for (auto _ : state) {
    img.px = src.px;
    apply_hsv_gains(img, 0.01, 0.3, -0.2);
    benchmark::DoNotOptimize(img.px.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(img.px.size()));
}

}  // namespace

BENCHMARK(BM_TrainBatches_Jpeg)->Arg(1)->Arg(2)->Arg(4)->Iterations(12)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainBatches_Jpeg_NoReuse)->Arg(1)->Arg(2)->Arg(4)->Iterations(12)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TrainBatches_RamCache)->Arg(1)->Arg(2)->Arg(4)->Iterations(12)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MosaicSample_RamCache_OneCore)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeJpeg)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ResizeBilinear_480x640_to_360x480)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WarpAffine_1280_to_640)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Hsv_640)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
