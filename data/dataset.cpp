// Dataset scanning (see dataset.h): verifies every image header (decoding suspicious JPEGs), parses
// its label file, keeps usable images in sorted order, reports each problem once per file, and reads
// or writes the label cache.
#include "data/dataset.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "data/image.h"
#include "data/label_cache.h"
#include "kernels/error.h"

namespace fs = std::filesystem;

namespace ye::data {

LogFn stderr_log() {
  return [](const std::string& m) { std::fprintf(stderr, "%s\n", m.c_str()); };
}

std::string SplitSummary::line() const {
  std::ostringstream os;
  os << split << ": " << images << " images, " << backgrounds << (backgrounds == 1 ? " background, " : " backgrounds, ")
     << corrupt << " corrupt (skipped), " << lines_dropped << " label line" << (lines_dropped == 1 ? "" : "s")
     << " dropped";
  return os.str();
}

std::vector<int64_t> Dataset::class_counts() const {
  std::vector<int64_t> counts(nc_, 0);
  for (const auto& r : records_)
    for (const auto& b : r.boxes) counts[b.cls]++;
  return counts;
}

namespace {

struct FileResult {
  bool usable = false;
  bool missing_label = false;
  int lines_dropped = 0;
  ImageRecord record;
  std::vector<std::string> messages;
};

FileResult scan_one(const std::string& image, const std::string& label, int nc) {
  FileResult r;
  r.record.image_path = image;
  try {
    auto bytes = read_file_bytes(image);
    ImageInfo info = probe_image(bytes.data(), bytes.size(), image);
    if (info.h < 10 || info.w < 10) {
      r.messages.push_back(image + ": image size " + std::to_string(info.w) + "x" + std::to_string(info.h) +
                           " is below 10 pixels (skipped)");
      return r;
    }
    if (info.jpeg_missing_eoi) {
      decode_image(bytes.data(), bytes.size(), image);  // throws when it cannot be decoded at all
      r.messages.push_back(image + ": JPEG has no end marker (truncated?); decoded as far as it goes");
    }
    r.record.h0 = info.h;
    r.record.w0 = info.w;
  } catch (const std::exception& e) {
    std::string why = e.what();
    auto at = why.rfind(" (/");  // drop the source location of the check
    if (at != std::string::npos && why.back() == ')') why.resize(at);
    r.messages.push_back(why + " (skipped)");
    return r;
  }
  r.usable = true;
  std::ifstream f(label, std::ios::binary);
  if (!f) {
    r.missing_label = !fs::exists(label);
    if (!r.missing_label) r.messages.push_back(label + ": label file unreadable (image used as background)");
    return r;
  }
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  LabelParse lp = parse_label_text(text, nc);
  r.record.boxes = std::move(lp.boxes);
  r.lines_dropped = lp.lines_dropped;
  if (!lp.problems.empty()) {
    std::string m = label + ":";
    for (size_t i = 0; i < lp.problems.size(); ++i) m += (i ? "; " : " ") + lp.problems[i];
    r.messages.push_back(m);
  }
  return r;
}

std::vector<FileResult> scan_all(const std::vector<std::string>& images, const std::vector<std::string>& labels,
                                 int nc, int threads) {
  std::vector<FileResult> results(images.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < images.size();) results[i] = scan_one(images[i], labels[i], nc);
  };
  int n = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  n = int(std::min<size_t>(size_t(n), std::max<size_t>(1, images.size() / 16)));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return results;
}

std::string cache_path_for(const std::vector<std::string>& labels) {
  fs::path dir = fs::path(labels.front()).parent_path();
  return dir.string() + ".yecache";
}

}  // namespace

struct DatasetScan {
  static Dataset build(std::vector<std::string> images, int nc, const std::string& prefix, const DatasetOptions& opt,
                       const std::string& where) {
    YE_CHECK(!images.empty(), prefix, ": no images found in ", where);
    if (opt.fraction < 1.0) {
      size_t keep = size_t(std::llround(double(images.size()) * std::max(0.0, opt.fraction)));
      images.resize(std::max<size_t>(1, keep));
    }
    std::vector<std::string> labels;
    labels.reserve(images.size());
    for (const auto& im : images) labels.push_back(label_path_for(im));
    Dataset ds;
    ds.nc_ = nc;
    uint64_t hash = label_cache_hash(images, labels, nc);
    std::string cache_path = cache_path_for(labels);
    std::optional<LabelCacheContent> cached;
    if (opt.label_cache) cached = read_label_cache(cache_path, hash);
    if (cached) {
      ds.records_ = std::move(cached->records);
      ds.messages_ = std::move(cached->messages);
      ds.summary_ = cached->summary;
      ds.summary_.from_cache = true;
    } else {
      auto results = scan_all(images, labels, nc, opt.threads);
      auto& s = ds.summary_;
      for (auto& r : results) {
        for (auto& m : r.messages) ds.messages_.push_back(prefix + ": " + m);
        s.lines_dropped += r.lines_dropped;
        if (!r.usable) {
          s.corrupt++;
          continue;
        }
        s.images++;
        s.missing_labels += r.missing_label;
        s.backgrounds += r.record.boxes.empty();
        s.boxes += int64_t(r.record.boxes.size());
        ds.records_.push_back(std::move(r.record));
      }
    }
    ds.summary_.split = prefix;
    if (opt.log)
      for (const auto& m : ds.messages_) opt.log(m);
    if (!cached && opt.label_cache) {
      LabelCacheContent c{hash, ds.records_, ds.summary_, ds.messages_};
      if (!write_label_cache(cache_path, c) && opt.log)
        opt.log(prefix + ": warning: cannot write the label cache " + cache_path +
                " (folder not writable?); the next start scans again");
    }
    if (opt.log) opt.log(ds.summary_.line() + (ds.summary_.from_cache ? " (from label cache)" : ""));
    YE_CHECK(!ds.records_.empty(), prefix, ": no usable image among ", images.size(), " files in ", where, " (",
             ds.summary_.corrupt, " corrupt; see the messages above)");
    return ds;
  }
};

Dataset Dataset::load(const DatasetConfig& cfg, const std::string& split, const DatasetOptions& opt) {
  auto images = list_split_images(cfg, split);
  std::string where;
  for (const auto& e : cfg.splits.at(split)) where += (where.empty() ? "" : ", ") + e;
  Dataset ds = DatasetScan::build(std::move(images), cfg.nc(), split, opt, where);
  ds.names_ = cfg.names;
  return ds;
}

Dataset Dataset::from_files(std::vector<std::string> image_files, int nc, const std::string& prefix,
                            const DatasetOptions& opt) {
  std::sort(image_files.begin(), image_files.end());
  Dataset ds = DatasetScan::build(std::move(image_files), nc, prefix, opt, "the given file list");
  for (int i = 0; i < nc; ++i) ds.names_.push_back("class" + std::to_string(i));
  return ds;
}

}  // namespace ye::data
