// Resume depends on the loader: the batches of an epoch must not depend on which epochs the same
// Loader object produced before (a resumed run starts its loader at the resume epoch).
#include <doctest/doctest.h>

#include <memory>

#include "data/loader.h"
#include "data/synth.h"

using namespace ye::data;

TEST_CASE("an epoch's batches do not depend on the epochs produced before it") {
  SynthOptions so;
  so.out_dir = "loader_resume_synth";
  so.images = 12;
  so.imgsz = 64;
  so.seed = 5;
  DatasetConfig cfg = load_dataset_yaml(generate_synthetic_dataset(so).yaml_path);
  DatasetOptions dopt;
  dopt.log = [](const std::string&) {};
  auto ds = std::make_shared<const Dataset>(Dataset::load(cfg, "train", dopt));
  LoaderOptions o;
  o.imgsz = 64;
  o.batch_size = 2;
  o.workers = 1;
  o.log = [](const std::string&) {};
  Loader continued(ds, o), fresh(ds, o);
  continued.set_epoch(0);
  while (continued.next()) {
  }
  continued.set_epoch(1);
  fresh.set_epoch(1);
  size_t n = 0;
  while (auto a = continued.next()) {
    auto b = fresh.next();
    REQUIRE(b);
    INFO("batch ", n);
    CHECK(a->targets == b->targets);
    CHECK(std::equal(a->images, a->images + a->image_bytes(), b->images));
    ++n;
  }
  CHECK(n > 0);
}
