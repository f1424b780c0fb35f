// The training/validation data loader: worker threads build whole batches (decode or RAM cache ->
// augmentation or letterbox) into pinned host memory behind a bounded prefetch window, in an order and
// with augmentation that depend only on (seed, epoch), never on the worker count. Defines
// LoaderOptions, ImageMeta, Batch, Loader and the sampler/shape helpers the trainer and validator use.
//
// How the trainer and validator use it:
//   auto cfg   = ye::data::load_dataset_yaml("coco128.yaml");
//   auto train = std::make_shared<const Dataset>(Dataset::load(cfg, "train", {.fraction = f}));
//   LoaderOptions o; o.imgsz = 640; o.batch_size = 16 / world; o.workers = 8; o.seed = 0;
//   o.rank = rank; o.world_size = world; o.cache_ram = cache;     // train: augment = true (default)
//   Loader loader(train, o);
//   for (int e = 0; e < epochs; ++e) {
//     if (e == epochs - close_mosaic) loader.close_mosaic();       // before set_epoch
//     loader.set_epoch(e);
//     while (auto b = loader.next()) { /* b->images [B,H,W,3] uint8 RGB, b->targets rows */ }
//   }
//   Validation: o = LoaderOptions::validation(imgsz, batch, workers) (rect batches with pad 0.5,
//   stride 32, letterbox scaleup=false, no shuffle, images sorted by aspect ratio like the reference);
//   b->meta[i] maps boxes back: x_orig = (x - pad_left) / ratio_w, y_orig = (y - pad_top) / ratio_h.
// Single-image helpers for the predictor are in data/image.h: load_image (RGB + original size),
// resize_long_side and letterbox (pad 114, ratio and pad returned).
#pragma once
#include <array>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"

namespace ye::data {

struct LoaderOptions {
  int imgsz = 640;
  int batch_size = 16;  // per rank
  int workers = 8;      // worker threads; 0 builds batches in the calling thread
  int prefetch = 0;     // batches built ahead of the consumer; 0 = max(2, 2 * workers)
  uint64_t seed = 0;
  bool augment = true;  // training: shuffle + mosaic/perspective/mixup/HSV/flip, square imgsz batches
  bool rect = false;    // validation: batches of similar aspect ratio with rect shapes, letterbox
  double rect_pad = 0.5;
  int stride = 32;
  int rank = 0, world_size = 1;  // distributed sampler: each rank gets a disjoint share per epoch
  bool cache_ram = false;        // keep decoded, resized images in RAM (refused if it does not fit)
  int recent_images = -1;        // LRU of decoded images without cache_ram: -1 auto, 0 off, else size
  AugmentOptions aug;
  LogFn log = stderr_log();

  static LoaderOptions validation(int imgsz, int batch_size, int workers) {
    LoaderOptions o;
    o.imgsz = imgsz, o.batch_size = batch_size, o.workers = workers, o.augment = false, o.rect = true;
    return o;
  }
};

// Where a batch image came from, to map predictions back to the original image.
struct ImageMeta {
  std::string path;
  size_t dataset_index = 0;
  int h0 = 0, w0 = 0;                 // original size
  int h = 0, w = 0;                   // after the long-side resize (before letterbox/augmentation)
  float ratio_h = 1, ratio_w = 1;     // h / h0, w / w0 (letterbox never rescales in validation)
  float pad_left = 0, pad_top = 0;    // letterbox padding in batch pixels (0 for augmented samples)
};

struct Batch {
  int epoch = 0;
  size_t index = 0;               // batch number within the epoch
  int batch_size = 0, height = 0, width = 0;
  std::shared_ptr<void> memory;   // pinned host block (ye::pinned_host_alloc) holding the images
  uint8_t* images = nullptr;      // [batch_size, height, width, 3] uint8 RGB
  std::vector<float> targets;     // [num_targets, 6]: image index in batch, cls, xc, yc, w, h (0..1)
  std::vector<ImageMeta> meta;    // [batch_size]

  size_t num_targets() const { return targets.size() / 6; }
  size_t image_bytes() const { return size_t(batch_size) * height * width * 3; }
  // Targets padded per image: [batch_size, max_boxes, 5] (cls, xc, yc, w, h), unused rows cls = -1.
  // max_boxes 0 = the largest count in this batch (returned through *used_max when given).
  std::vector<float> padded_targets(int max_boxes = 0, int* used_max = nullptr) const;
};

// The epoch's sample order for one rank: shuffled by (seed, epoch) when `shuffle`, padded by repeating
// the start so every rank gets ceil(n / world) samples, then rank r takes positions r, r+world, ...
std::vector<size_t> distributed_indices(size_t n, bool shuffle, uint64_t seed, int epoch, int rank, int world);

// The reference's rect shapes: per batch of (aspect-sorted) h/w ratios, [h, w] relative shape
// ([maxi, 1] if all wide, [1, 1/mini] if all tall, else [1, 1]), then ceil(rel * imgsz / stride + pad) * stride.
std::vector<std::array<int, 2>> rect_batch_shapes(const std::vector<double>& sorted_aspect_hw, int batch_size,
                                                  int imgsz, int stride, double pad);

class Loader {
 public:
  Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void set_epoch(int epoch);   // (re)starts production of this epoch's batches
  void close_mosaic();         // mosaic and mixup off from the next set_epoch on
  // The epoch's next batch in order; nullopt when the epoch is done. A worker's exception is rethrown
  // here (and again on every call until the next set_epoch).
  std::optional<Batch> next();

  size_t num_batches() const;  // per epoch, this rank (drop_last = false)
  size_t num_samples() const;  // per epoch, this rank
  const Dataset& dataset() const { return *ds_; }
  const LoaderOptions& options() const { return opt_; }
  size_t ram_cache_bytes() const { return cache_bytes_; }

  // One sample as the batch would hold it (pixels + boxes in pixels). Mosaic and mixup partners are
  // drawn uniformly from `partners` (dataset indices; empty = the whole dataset).
  Sample make_sample(size_t dataset_index, int epoch, bool mosaic_on, std::span<const size_t> partners = {}) const;

 private:
  struct Epoch;
  Batch build_batch(const Epoch& ep, size_t batch_index) const;
  // The resized image of dataset item i (RAM cache, recent-image cache or decode); *ok false when it
  // could not be read (then a gray image of the recorded size, reported once per file).
  std::shared_ptr<const Image> source_image(size_t i, bool* ok) const;
  Sample load_train_pre(size_t i, SampleRng& rng, bool mosaic_on, std::span<const size_t> partners) const;
  void fill_ram_cache();
  void worker_loop();
  void stop_workers();
  void warn_once(const std::string& file, const std::string& why) const;

  std::shared_ptr<const Dataset> ds_;
  LoaderOptions opt_;
  bool mosaic_closed_ = false;
  std::vector<Image> ram_cache_;
  size_t cache_bytes_ = 0;
  std::vector<size_t> rect_order_;                  // validation: dataset indices sorted by aspect ratio
  std::vector<std::array<int, 2>> rect_shapes_;     // validation: per batch [h, w]

  std::shared_ptr<const Epoch> epoch_;
  size_t consumed_ = 0, claimed_ = 0;
  uint64_t generation_ = 0;
  std::map<size_t, Batch> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  mutable std::mutex mu_;
  std::condition_variable cv_work_, cv_ready_;
  std::vector<std::thread> threads_;
  mutable std::mutex warn_mu_;
  mutable std::set<std::string> warned_;
  // Recently decoded images (content depends only on the index, so hits never change a batch).
  // Mosaic partners come from a window of the epoch order around the sample (like the reference's
  // buffer of recently loaded images), so most partners are hits.
  size_t recent_capacity_ = 0, partner_window_ = 0;
  mutable std::mutex recent_mu_;
  mutable std::map<size_t, std::pair<std::shared_ptr<const Image>, uint64_t>> recent_;
  mutable uint64_t recent_clock_ = 0;
};

}  // namespace ye::data
