// DataParallel (see data_parallel.h): buckets planned over the parameter arena in reverse module
// order; broadcasts and averages go through the Communicator.
#include "yolo/train/data_parallel.h"

#include "engine/ops.h"

namespace ye::yolo {

DataParallel::DataParallel(dist::Communicator& comm, DetectionModel& model) : comm_(comm), model_(model) {
  YE_CHECK(comm.device() == model.device(), "data parallel: the communicator is on ", comm.device().str(),
           ", the model on ", model.device().str());
  ParameterArena& params = model.parameters();
  reducer_ = std::make_unique<dist::GradReducer>(comm, params, dist::plan_grad_buckets(params, dist::reverse_module_order(params)));
}

void DataParallel::broadcast_state() {
  comm_.broadcast(model_.parameters().values(), 0);
  if (model_.buffers().total() > 0) comm_.broadcast(model_.buffers().values(), 0);
}

void DataParallel::before_forward() {
  if (model_.buffers().total() > 0) comm_.broadcast(model_.buffers().values(), 0);
}

void DataParallel::enable_sync_bn() { model_.set_sync_batch_norm(&comm_); }

Tensor DataParallel::scale_loss(const Tensor& loss) const { return ops::mul_scalar(loss, float(comm_.world_size())); }

void DataParallel::begin_backward(bool sync) { reducer_->begin(sync); }
void DataParallel::end_backward() { reducer_->finish(); }

void DataParallel::sync_gradients() { comm_.all_reduce(model_.parameters().grads(), dist::ReduceOp::average); }

}  // namespace ye::yolo
