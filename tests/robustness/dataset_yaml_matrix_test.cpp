// Bad-input matrix, dataset YAML: missing keys, wrong types, non-UTF-8 bytes, paths that do not
// exist, empty splits, absurd class counts, an empty or binary file. Each stops with ye::Error naming
// the YAML file (and the key or line); `yolo data` exits 1 with the same message.
#include <filesystem>

#include "data/dataset.h"
#include "data/dataset_yaml.h"
#include "data/image_write.h"
#include "kernels/error.h"
#include "robustness/robust_util.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
// Loads the YAML and both splits, as `yolo train` does before building anything.
void load_all(const fs::path& yaml) {
  data::DatasetConfig cfg = data::load_dataset_yaml(yaml.string());
  data::DatasetOptions opt;
  opt.label_cache = false;
  opt.log = [](const std::string&) {};
  data::Dataset::load(cfg, "train", opt);
  data::Dataset::load(cfg, "val", opt);
}

fs::path dataset_with_images(const std::string& name) {
  fs::path d = robust::scratch(name);
  data::Image img(32, 32, 100);
  fs::create_directories(d / "images/train");
  data::write_jpeg(img, (d / "images/train/a.jpg").string());
  fs::create_directories(d / "images/val");
  data::write_jpeg(img, (d / "images/val/b.jpg").string());
  fs::create_directories(d / "images/empty");
  return d;
}
}  // namespace

TEST_CASE("malformed dataset YAML files stop with a message naming the file and what is wrong") {
  fs::path d = dataset_with_images("yaml_matrix");
  const std::string ok = "path: .\ntrain: images/train\nval: images/val\n";
  struct Case { const char* name; std::string text; const char* says; };
  const Case cases[] = {
      {"empty.yaml", "", "must be a mapping"},
      {"scalar.yaml", "just a string\n", "must be a mapping"},
      {"list.yaml", "- a\n- b\n", "must be a mapping"},
      {"no_train.yaml", "val: images/val\nnames: [a]\n", "'train' and 'val' keys are required"},
      {"no_val.yaml", "train: images/train\nnames: [a]\n", "'train' and 'val' keys are required"},
      {"no_names.yaml", ok, "no classes"},
      {"nc_text.yaml", ok + "nc: abc\n", "malformed dataset YAML at line 4"},
      {"nc_negative.yaml", ok + "nc: -3\n", "nc -3 is out of range"},
      {"nc_huge.yaml", ok + "nc: 2000000000\n", "nc 2000000000 is out of range"},
      {"nc_disagrees.yaml", ok + "nc: 3\nnames: [a, b]\n", "nc is 3 but names has 2"},
      {"names_nested.yaml", ok + "names: [[a, b], c]\n", "malformed dataset YAML at line 4"},
      {"names_gap.yaml", ok + "names:\n  0: a\n  2: c\n", "id 1 missing"},
      {"names_bad_id.yaml", ok + "names:\n  zero: a\n", "malformed dataset YAML at line 5"},
      {"path_map.yaml", "path: {a: 1}\ntrain: images/train\nval: images/val\nnames: [a]\n", "'path' must be a folder"},
      {"train_map.yaml", "train: {a: 1}\nval: images/val\nnames: [a]\n", "'train' must be a path or a list"},
      {"syntax.yaml", "train: [images/train\nval: : :\n", "malformed"},
      {"binary.yaml", std::string("\x00\x01\xff\xfe\x80 train: \x9c\n", 13), "dataset YAML"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    robust::write_file(d / c.name, c.text);
    CHECK_THROWS_WITH_AS(load_all(d / c.name), doctest::Contains((d / c.name).string().c_str()), Error);
    CHECK_THROWS_WITH_AS(load_all(d / c.name), doctest::Contains(c.says), Error);
  }
  fs::remove_all(d);
}

TEST_CASE("split paths that do not exist, empty splits and non-UTF-8 names are reported, not crashed on") {
  fs::path d = dataset_with_images("yaml_paths");
  struct Case { const char* name; std::string text; const char* says; };
  const Case cases[] = {
      {"missing.yaml", "train: images/nope\nval: images/val\nnames: [a]\n", "train path does not exist"},
      {"empty_split.yaml", "train: images/empty\nval: images/val\nnames: [a]\n", "no images found"},
      {"latin1_path.yaml", "train: images/tr\xe4in\nval: images/val\nnames: [a]\n", "path does not exist"},
      {"missing_root.yaml", "path: /nonexistent/root\ntrain: images\nval: images\nnames: [a]\n",
       "/nonexistent/root/images"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    robust::write_file(d / c.name, c.text);
    CHECK_THROWS_WITH_AS(load_all(d / c.name), doctest::Contains(c.says), Error);
  }
  robust::write_file(d / "latin1_names.yaml", "train: images/train\nval: images/val\nnames: [caf\xe9, b]\n");
  CHECK_NOTHROW(load_all(d / "latin1_names.yaml"));
  robust::write_file(d / "bom.yaml", "\xEF\xBB\xBFtrain: images/train\nval: images/val\nnames: [a]\r\n");
  CHECK(data::load_dataset_yaml((d / "bom.yaml").string()).nc() == 1);
  fs::remove_all(d);
}

TEST_CASE("yolo data exits 1 with the message for a bad dataset YAML") {
  fs::path d = dataset_with_images("yaml_cli");
  robust::write_file(d / "bad.yaml", "train: images/train\nval: images/val\nnc: abc\n");
  robust::check_clean_error(robust::run_yolo({"data", "--data", (d / "bad.yaml").string()}, d),
                            (d / "bad.yaml").string() + ": malformed dataset YAML at line 3");
  robust::check_clean_error(robust::run_yolo({"data", "--data", (d / "absent.yaml").string()}, d),
                            "absent.yaml: dataset YAML not found");
  fs::remove_all(d);
}
