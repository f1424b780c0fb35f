// The background checkpoint writer (see checkpoint_writer.h).
#include "yolo/train/checkpoint_writer.h"

namespace ye::yolo {

CheckpointWriter::~CheckpointWriter() {
  if (worker_.joinable()) worker_.join();
}

void CheckpointWriter::submit(std::vector<PendingFile> files) {
  wait();
  worker_ = std::thread([this, files = std::move(files)] {
    try {
      for (const PendingFile& f : files) io::write_safetensors(f.path, f.tensors, f.metadata);
    } catch (...) {
      error_ = std::current_exception();
    }
  });
}

void CheckpointWriter::wait() {
  if (worker_.joinable()) worker_.join();
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

}  // namespace ye::yolo
