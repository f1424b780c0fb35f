// Checkpoint files written off the training thread: the trainer snapshots what a checkpoint holds into
// host memory (PendingFile: tensors with their own bytes, metadata) and hands the files of one epoch to
// a CheckpointWriter, whose thread writes them in order (each through write_safetensors' temp file,
// fsync and rename) while the next epoch trains. A failed write is rethrown by the next submit() or
// wait(), so a full disk is still reported and the previous files stay intact.
#pragma once
#include <exception>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/io/safetensors.h"

namespace ye::yolo {

struct PendingFile {
  std::string path;
  std::vector<io::SafeTensor> tensors;
  std::map<std::string, std::string> metadata;
};

class CheckpointWriter {
 public:
  CheckpointWriter() = default;
  ~CheckpointWriter();  // waits for the files in flight (an error then is dropped: call wait() first)
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Waits for the previous files (rethrowing their error), then writes `files` in order on a thread.
  void submit(std::vector<PendingFile> files);
  // Waits until every submitted file is on disk; rethrows the first write error.
  void wait();

 private:
  std::thread worker_;
  std::exception_ptr error_;
};

}  // namespace ye::yolo
