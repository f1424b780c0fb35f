// Helpers of the multi-process training tests (tests/train/ddp_*, tests/dist/launch_cli_test.cpp): the
// small synthetic dataset their 2-rank CPU runs train on, and where a real torchrun is (the parity venv,
// or YE_TORCHRUN), for the cases that start the job through it.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <string>

#include "data/synth.h"

namespace ye::test {

// 20 synthetic 64x64 images (seed 3) under dir/synth; returns the dataset YAML's path.
inline std::string ddp_synth_yaml(const std::filesystem::path& dir) {
  data::SynthOptions so;
  so.out_dir = (dir / "synth").string();
  so.images = 20;
  so.imgsz = 64;
  so.seed = 3;
  return data::generate_synthetic_dataset(so).yaml_path;
}

// YE_TORCHRUN, else the parity venv's torchrun (in the source tree, YE_PARITY_VENV or the user cache), or
// an empty path when there is none.
inline std::filesystem::path torchrun_path() {
  namespace fs = std::filesystem;
  if (const char* t = std::getenv("YE_TORCHRUN"); t && *t) return t;
  const char* venv = std::getenv("YE_PARITY_VENV");
  const char* home = std::getenv("HOME");
  for (fs::path p : {fs::path(YE_SOURCE_DIR) / ".venv-parity/bin/torchrun", venv ? fs::path(venv) / "bin/torchrun" : fs::path(),
                     home ? fs::path(home) / ".cache/yolo-engine/parity-venv/bin/torchrun" : fs::path()})
    if (!p.empty() && fs::exists(p)) return p;
  return {};
}

}  // namespace ye::test
