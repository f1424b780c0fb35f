// What `yolo train --resume [checkpoint]` trains: the checkpoint (the given path, or the newest
// last*.safetensors / last*.pt under the runs folder when --resume has no path) and the settings of
// its run (saved in the training state, the reference's "train_args") merged with the command line.
//   auto ckpt = resume_checkpoint(parsed);  TrainArgs args = resumed_train_args(parsed, ckpt);
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "yolo/config/train_args.h"

namespace ye::yolo {

// The folder that bare --resume searches: --project when given on the command line, else "runs".
std::filesystem::path resume_search_dir(const ParsedTrainArgs& cli);

// The checkpoint to resume: cli.args.resume's path (which must exist), or latest_checkpoint() of
// resume_search_dir() for bare --resume / --resume true. Throws ye::Error naming the path or folder.
std::filesystem::path resume_checkpoint(const ParsedTrainArgs& cli);

// The run's saved settings (training state, else the run's args.yaml) with model = resume =
// checkpoint and the command line's imgsz, batch, device and close_mosaic (resume_train_args).
TrainArgs resumed_train_args(const ParsedTrainArgs& cli, const std::filesystem::path& checkpoint);

// Keys given on the command line that a resumed run ignores (its saved settings win), for a warning.
std::vector<std::string> ignored_resume_keys(const ParsedTrainArgs& cli);

}  // namespace ye::yolo
