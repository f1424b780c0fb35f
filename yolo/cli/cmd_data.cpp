// `yolo data --data file.yaml`: checks a dataset the way training will read it and prints, per split,
// every problem found (once per file), the summary line and the box and image counts per class.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/dataset_yaml.h"
#include "yolo/cli/commands.h"

namespace ye::cli {

void add_data_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("data", "check a dataset YAML: images, labels, problems and class counts");
  auto data = std::make_shared<std::string>();
  auto no_cache = std::make_shared<bool>(false);
  cmd->add_option("--data", *data, "dataset YAML (Ultralytics format)")->required();
  cmd->add_flag("--no-cache", *no_cache, "ignore and do not write the label cache");
  cmd->callback([data, no_cache] {
    auto cfg = ye::data::load_dataset_yaml(*data);
    std::printf("%s: root %s, %d classes\n", data->c_str(), cfg.root.c_str(), cfg.nc());
    for (const char* split : {"train", "val", "test"}) {
      if (!cfg.splits.count(split)) continue;
      ye::data::DatasetOptions opt;
      opt.label_cache = !*no_cache;
      opt.log = [](const std::string& m) { std::printf("%s\n", m.c_str()); };
      auto ds = ye::data::Dataset::load(cfg, split, opt);
      auto counts = ds.class_counts();
      std::vector<int64_t> images_with(cfg.nc(), 0);
      for (const auto& r : ds.records()) {
        std::vector<bool> seen(cfg.nc(), false);
        for (const auto& b : r.boxes) seen[b.cls] = true;
        for (int c = 0; c < cfg.nc(); ++c) images_with[c] += seen[c];
      }
      std::printf("%s: %lld boxes, %d of %d classes present\n", split, (long long)ds.summary().boxes,
                  int(std::count_if(counts.begin(), counts.end(), [](int64_t n) { return n > 0; })), cfg.nc());
      std::printf("  %5s  %-20s %8s %8s\n", "class", "name", "boxes", "images");
      for (int c = 0; c < cfg.nc(); ++c)
        if (counts[c] > 0)
          std::printf("  %5d  %-20s %8lld %8lld\n", c, cfg.names[c].c_str(), (long long)counts[c],
                      (long long)images_with[c]);
    }
  });
}

}  // namespace ye::cli
