// Loader implementation (see loader.h): epoch plans (sampler order, rect shapes), the worker pool with
// its bounded in-order prefetch window, batch assembly into pinned memory, the train sample pipeline
// (mosaic or letterbox -> perspective -> mixup -> HSV -> flips) and the RAM cache.
#include "data/loader.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>

#include "kernels/error.h"
#include "engine/host_memory.h"

namespace ye::data {

struct Loader::Epoch {
  int epoch = 0;
  bool mosaic_on = true;
  std::vector<size_t> order;  // dataset indices, this rank, in batch order
  size_t num_batches = 0;
};

namespace {

std::array<int, 2> resized_size(int h0, int w0, int imgsz) {
  double r = double(imgsz) / std::max(h0, w0);
  if (r == 1.0) return {h0, w0};
  return {std::max(1, std::min(int(std::ceil(h0 * r)), imgsz)), std::max(1, std::min(int(std::ceil(w0 * r)), imgsz))};
}

size_t mem_available_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  size_t kb = 0;
  std::string unit;
  while (f >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return size_t(-1);
}

}  // namespace

std::vector<size_t> distributed_indices(size_t n, bool shuffle, uint64_t seed, int epoch, int rank, int world) {
  YE_CHECK(world >= 1 && rank >= 0 && rank < world, "distributed sampler: rank ", rank, " of ", world);
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), size_t(0));
  if (shuffle) {
    SampleRng rng(seed, uint64_t(epoch), ~uint64_t(0), 1);
    for (size_t i = n; i > 1; --i) std::swap(all[i - 1], all[size_t(rng.below(int64_t(i)))]);
  }
  const size_t per_rank = (n + world - 1) / world, total = per_rank * world;
  for (size_t i = n; i < total; ++i) all.push_back(all[(i - n) % n]);
  std::vector<size_t> mine;
  mine.reserve(per_rank);
  for (size_t i = size_t(rank); i < total; i += size_t(world)) mine.push_back(all[i]);
  return mine;
}

std::vector<std::array<int, 2>> rect_batch_shapes(const std::vector<double>& ar, int batch_size, int imgsz, int stride,
                                                  double pad) {
  std::vector<std::array<int, 2>> shapes;
  for (size_t start = 0; start < ar.size(); start += size_t(batch_size)) {
    size_t end = std::min(ar.size(), start + size_t(batch_size));
    auto [mn, mx] = std::minmax_element(ar.begin() + long(start), ar.begin() + long(end));
    double rh = 1, rw = 1;
    if (*mx < 1)
      rh = *mx;
    else if (*mn > 1)
      rw = 1 / *mn;
    shapes.push_back({int(std::ceil(rh * imgsz / stride + pad)) * stride, int(std::ceil(rw * imgsz / stride + pad)) * stride});
  }
  return shapes;
}

std::vector<float> Batch::padded_targets(int max_boxes, int* used_max) const {
  std::vector<int> count(size_t(batch_size), 0);
  for (size_t t = 0; t < num_targets(); ++t) count[size_t(targets[6 * t])]++;
  int m = max_boxes > 0 ? max_boxes : std::max(1, count.empty() ? 1 : *std::max_element(count.begin(), count.end()));
  if (used_max) *used_max = m;
  std::vector<float> out(size_t(batch_size) * m * 5, 0.f);
  for (size_t i = 0; i < size_t(batch_size) * m; ++i) out[5 * i] = -1.f;
  std::fill(count.begin(), count.end(), 0);
  for (size_t t = 0; t < num_targets(); ++t) {
    const float* r = &targets[6 * t];
    int b = int(r[0]);
    if (count[b] >= m) continue;
    std::copy(r + 1, r + 6, &out[(size_t(b) * m + count[b]++) * 5]);
  }
  return out;
}

Loader::Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt) : ds_(std::move(dataset)), opt_(std::move(opt)) {
  YE_CHECK(ds_ && ds_->size() > 0, "Loader: empty dataset");
  YE_CHECK(opt_.imgsz >= 32 && opt_.batch_size >= 1 && opt_.workers >= 0, "Loader: bad options (imgsz ", opt_.imgsz,
           ", batch ", opt_.batch_size, ", workers ", opt_.workers, ")");
  if (opt_.prefetch <= 0) opt_.prefetch = std::max(2, 2 * opt_.workers);
  if (!opt_.augment) {
    rect_order_.resize(ds_->size());
    std::iota(rect_order_.begin(), rect_order_.end(), size_t(0));
    if (opt_.rect) {
      std::vector<double> ar(ds_->size());
      for (size_t i = 0; i < ar.size(); ++i) ar[i] = double((*ds_)[i].h0) / (*ds_)[i].w0;
      std::stable_sort(rect_order_.begin(), rect_order_.end(), [&](size_t a, size_t b) { return ar[a] < ar[b]; });
      std::vector<double> sorted(ar.size());
      for (size_t i = 0; i < ar.size(); ++i) sorted[i] = ar[rect_order_[i]];
      rect_shapes_ = rect_batch_shapes(sorted, opt_.batch_size, opt_.imgsz, opt_.stride, opt_.rect_pad);
    }
  }
  // The reference's mosaic buffer size: min(n, 8 * batch, 1000); the recent-image cache also holds
  // what the workers have in flight.
  partner_window_ = std::min<size_t>({ds_->size(), size_t(8 * opt_.batch_size), 1000});
  if (opt_.cache_ram)
    fill_ram_cache();
  else if (opt_.augment && opt_.recent_images < 0)
    recent_capacity_ = partner_window_ + size_t(opt_.prefetch + opt_.workers + 1) * size_t(opt_.batch_size);
  else if (opt_.augment)
    recent_capacity_ = size_t(opt_.recent_images);
  for (int t = 0; t < opt_.workers; ++t) threads_.emplace_back([this] { worker_loop(); });
}

Loader::~Loader() { stop_workers(); }

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_work_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Loader::fill_ram_cache() {
  size_t bytes = 0;
  for (const auto& r : ds_->records()) {
    auto [h, w] = resized_size(r.h0, r.w0, opt_.imgsz);
    bytes += size_t(h) * w * 3;
  }
  const size_t need = bytes + bytes / 2, avail = mem_available_bytes();
  std::ostringstream os;
  os.precision(2);
  os << std::fixed << ds_->summary().split << ": caching " << ds_->size() << " images in RAM (" << bytes / 1e9
     << " GB, " << need / 1e9 << " GB with the 50% safety margin; " << avail / 1e9 << " GB available)";
  if (opt_.log) opt_.log(os.str());
  YE_CHECK(need <= avail, ds_->summary().split, ": --cache ram needs ", need / 1e9, " GB but only ", avail / 1e9,
           " GB of RAM is available; run without --cache or with a smaller --imgsz/--fraction");
  // Decode into a separate vector: source_image reads ram_cache_ only once it is complete.
  std::vector<Image> filled(ds_->size());
  std::atomic<size_t> next{0};
  auto fill = [&] {
    for (size_t i; (i = next.fetch_add(1)) < ds_->size();) {
      bool ok = true;
      filled[i] = *source_image(i, &ok);
    }
  };
  int n = std::max(1, std::max(opt_.workers, int(std::thread::hardware_concurrency())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(fill);
  fill();
  for (auto& t : pool) t.join();
  ram_cache_ = std::move(filled);
  cache_bytes_ = bytes;
}

void Loader::warn_once(const std::string& file, const std::string& why) const {
  std::lock_guard<std::mutex> lk(warn_mu_);
  if (warned_.insert(file).second && opt_.log) opt_.log(ds_->summary().split + ": " + why + " (used as a gray background image)");
}

std::shared_ptr<const Image> Loader::source_image(size_t i, bool* ok) const {
  *ok = true;
  if (!ram_cache_.empty()) return std::shared_ptr<const Image>(std::shared_ptr<void>(), &ram_cache_[i]);
  if (recent_capacity_ > 0) {
    std::lock_guard<std::mutex> lk(recent_mu_);
    auto it = recent_.find(i);
    if (it != recent_.end()) {
      it->second.second = ++recent_clock_;
      return it->second.first;
    }
  }
  const ImageRecord& r = (*ds_)[i];
  std::shared_ptr<const Image> img;
  try {
    img = std::make_shared<const Image>(resize_long_side(load_image(r.image_path), opt_.imgsz));
  } catch (const std::exception& e) {
    warn_once(r.image_path, e.what());
    auto [h, w] = resized_size(r.h0, r.w0, opt_.imgsz);
    *ok = false;
    return std::make_shared<const Image>(h, w, uint8_t(114));
  }
  if (recent_capacity_ > 0) {
    std::lock_guard<std::mutex> lk(recent_mu_);
    recent_[i] = {img, ++recent_clock_};
    if (recent_.size() > recent_capacity_) {  // evict the least recently used
      auto oldest = recent_.begin();
      for (auto it = recent_.begin(); it != recent_.end(); ++it)
        if (it->second.second < oldest->second.second) oldest = it;
      recent_.erase(oldest);
    }
  }
  return img;
}

Sample Loader::load_train_pre(size_t i, SampleRng& rng, bool mosaic_on, std::span<const size_t> partners) const {
  const int s = opt_.imgsz;
  auto partner = [&] {
    return partners.empty() ? size_t(rng.below(int64_t(ds_->size()))) : partners[size_t(rng.below(int64_t(partners.size())))];
  };
  if (mosaic_on && rng.chance(opt_.aug.mosaic)) {
    std::array<size_t, 4> idx{i, 0, 0, 0};
    for (int k = 1; k < 4; ++k) idx[k] = partner();
    std::array<std::shared_ptr<const Image>, 4> held;
    std::array<const Image*, 4> tiles{};
    std::array<std::vector<PixelBox>, 4> boxes;
    std::array<const std::vector<PixelBox>*, 4> box_ptrs{};
    for (int k = 0; k < 4; ++k) {
      bool ok = true;
      held[k] = source_image(idx[k], &ok);
      tiles[k] = held[k].get();
      if (ok) boxes[k] = to_pixel_boxes((*ds_)[idx[k]].boxes, tiles[k]->h, tiles[k]->w);
      box_ptrs[k] = &boxes[k];
    }
    Sample m = mosaic4(tiles, box_ptrs, s, rng);
    return random_perspective(m, -s / 2, opt_.aug, rng);
  }
  bool ok = true;
  auto img = source_image(i, &ok);
  std::vector<PixelBox> boxes;
  if (ok) boxes = to_pixel_boxes((*ds_)[i].boxes, img->h, img->w);
  return random_perspective(letterbox_sample(*img, boxes, s), 0, opt_.aug, rng);
}

Sample Loader::make_sample(size_t i, int epoch, bool mosaic_on, std::span<const size_t> partners) const {
  SampleRng rng(opt_.seed, uint64_t(epoch), i);
  Sample s = load_train_pre(i, rng, mosaic_on, partners);
  if (mosaic_on && rng.chance(opt_.aug.mixup)) {
    const size_t j = partners.empty() ? size_t(rng.below(int64_t(ds_->size())))
                                      : partners[size_t(rng.below(int64_t(partners.size())))];
    Sample other = load_train_pre(j, rng, mosaic_on, partners);
    mixup(s, other, rng);
  }
  random_hsv(s.img, opt_.aug, rng);
  random_flips(s, opt_.aug, rng);
  return s;
}

Batch Loader::build_batch(const Epoch& ep, size_t k) const {
  const size_t B = size_t(opt_.batch_size);
  const size_t start = k * B, end = std::min(ep.order.size(), start + B);
  Batch b;
  b.epoch = ep.epoch;
  b.index = k;
  b.batch_size = int(end - start);
  if (opt_.augment || rect_shapes_.empty()) {
    b.height = b.width = opt_.imgsz;
  } else {
    b.height = rect_shapes_[k][0];
    b.width = rect_shapes_[k][1];
  }
  const size_t img_bytes = size_t(b.height) * b.width * 3;
  b.memory = pinned_host_alloc(img_bytes * b.batch_size);
  b.images = static_cast<uint8_t*>(b.memory.get());
  b.meta.resize(size_t(b.batch_size));
  const float H = float(b.height), W = float(b.width);
  for (size_t j = 0; j < size_t(b.batch_size); ++j) {
    const size_t idx = ep.order[start + j];
    const ImageRecord& rec = (*ds_)[idx];
    ImageMeta& m = b.meta[j];
    auto [rh, rw] = resized_size(rec.h0, rec.w0, opt_.imgsz);
    m = {rec.image_path, idx, rec.h0, rec.w0, rh, rw, float(rh) / rec.h0, float(rw) / rec.w0, 0.f, 0.f};
    uint8_t* dst = b.images + j * img_bytes;
    std::vector<PixelBox> boxes;
    if (opt_.augment) {
      // Partners: the window of the epoch order ending at this sample (at least partner_window_ wide).
      const size_t pos = start + j, W = partner_window_;
      const size_t hi = std::min(ep.order.size(), std::max(pos + 1, W));
      const size_t lo = hi > W ? hi - W : 0;
      Sample s = make_sample(idx, ep.epoch, ep.mosaic_on, std::span<const size_t>(ep.order).subspan(lo, hi - lo));
      std::memcpy(dst, s.img.px.data(), img_bytes);
      boxes = std::move(s.boxes);
    } else {
      bool ok = true;
      const auto held = source_image(idx, &ok);
      const Image& img = *held;
      Letterboxed lb = letterbox(img, b.height, b.width, false);
      std::memcpy(dst, lb.img.px.data(), img_bytes);
      m.h = img.h, m.w = img.w;
      m.ratio_h = float(img.h) / rec.h0, m.ratio_w = float(img.w) / rec.w0;
      m.pad_left = float(lb.pad_left), m.pad_top = float(lb.pad_top);
      if (ok)
        for (const auto& pb : to_pixel_boxes(rec.boxes, img.h, img.w))
          boxes.push_back({pb.cls, pb.x1 * lb.ratio + lb.pad_left, pb.y1 * lb.ratio + lb.pad_top,
                           pb.x2 * lb.ratio + lb.pad_left, pb.y2 * lb.ratio + lb.pad_top});
    }
    for (const auto& pb : boxes) {
      const float row[6] = {float(j), float(pb.cls), (pb.x1 + pb.x2) / 2 / W, (pb.y1 + pb.y2) / 2 / H,
                            (pb.x2 - pb.x1) / W, (pb.y2 - pb.y1) / H};
      b.targets.insert(b.targets.end(), row, row + 6);
    }
  }
  return b;
}

size_t Loader::num_samples() const {
  if (!opt_.augment) return ds_->size();
  return (ds_->size() + size_t(opt_.world_size) - 1) / size_t(opt_.world_size);
}

size_t Loader::num_batches() const { return (num_samples() + size_t(opt_.batch_size) - 1) / size_t(opt_.batch_size); }

void Loader::close_mosaic() {
  std::lock_guard<std::mutex> lk(mu_);
  mosaic_closed_ = true;
}

void Loader::set_epoch(int epoch) {
  auto ep = std::make_shared<Epoch>();
  ep->epoch = epoch;
  ep->order = opt_.augment ? distributed_indices(ds_->size(), true, opt_.seed, epoch, opt_.rank, opt_.world_size)
                           : rect_order_;
  ep->num_batches = num_batches();
  {
    std::lock_guard<std::mutex> lk(mu_);
    ep->mosaic_on = !mosaic_closed_ && opt_.aug.mosaic > 0;
    ++generation_;
    ready_.clear();
    consumed_ = claimed_ = 0;
    error_ = nullptr;
    epoch_ = ep;
  }
  cv_work_.notify_all();
}

std::optional<Batch> Loader::next() {
  std::unique_lock<std::mutex> lk(mu_);
  if (!epoch_) {
    lk.unlock();
    set_epoch(0);
    lk.lock();
  }
  auto ep = epoch_;
  if (consumed_ >= ep->num_batches) return std::nullopt;
  if (threads_.empty()) {
    size_t k = consumed_++;
    claimed_ = consumed_;
    lk.unlock();
    return build_batch(*ep, k);
  }
  cv_ready_.wait(lk, [&] { return error_ || ready_.count(consumed_) > 0; });
  if (error_) std::rethrow_exception(error_);  // stays set until the next set_epoch
  auto it = ready_.find(consumed_);
  Batch b = std::move(it->second);
  ready_.erase(it);
  ++consumed_;
  lk.unlock();
  cv_work_.notify_all();
  return b;
}

void Loader::worker_loop() {
  for (;;) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_work_.wait(lk, [&] {
      return stopping_ || (epoch_ && claimed_ < epoch_->num_batches && claimed_ < consumed_ + size_t(opt_.prefetch));
    });
    if (stopping_) return;
    const size_t k = claimed_++;
    const uint64_t gen = generation_;
    auto ep = epoch_;
    lk.unlock();
    try {
      Batch b = build_batch(*ep, k);
      lk.lock();
      if (gen == generation_) ready_.emplace(k, std::move(b));
    } catch (...) {
      lk.lock();
      if (gen == generation_) error_ = std::current_exception();
    }
    lk.unlock();
    cv_ready_.notify_all();
  }
}

}  // namespace ye::data
