// LayerTimer: forward marks around each layer, autograd markers for the backward pass, NVTX ranges of
// the same names, and the attribution of backward intervals to layers (the most recently opened
// layer whose backward has not ended owns the time, as the backward pass runs ready nodes last-in
// first-out).
#include "api/layer_timer.h"

#include <algorithm>

namespace ye::api {

LayerTimer::LayerTimer(StepClock& clock, std::vector<std::string> names, bool nvtx)
    : clock_(clock), names_(std::move(names)), nvtx_(nvtx) {
  size_t n = names_.size();
  grad_inputs_.assign(n, 0);
  inputs_pending_.assign(n, 0);
  opened_.assign(n, false);
  ranges_.assign(n, 0);
  input_bytes_.assign(n, 0);
  output_bytes_.assign(n, 0);
}

void LayerTimer::begin_step() {
  events_.clear();
  std::fill(grad_inputs_.begin(), grad_inputs_.end(), 0);
  std::fill(inputs_pending_.begin(), inputs_pending_.end(), 0);
  std::fill(opened_.begin(), opened_.end(), false);
}

void LayerTimer::enter(int index, std::vector<Tensor>& inputs) {
  size_t i = size_t(index);
  input_bytes_[i] = 0;
  for (Tensor& x : inputs) {
    if (!x.defined()) continue;
    input_bytes_[i] += double(x.nbytes());
    Tensor marked = layers::autograd_marker(x, [this, index] { on_backward_input_done(index); });
    if (marked.impl() != x.impl()) ++grad_inputs_[i];
    x = marked;
  }
  inputs_pending_[i] = grad_inputs_[i];
  if (nvtx_) nvtx_push(names_[i].c_str());
  events_.push_back({Kind::forward_enter, index, clock_.mark()});
}

void LayerTimer::leave(int index, std::vector<Tensor>& outputs) {
  size_t i = size_t(index);
  events_.push_back({Kind::forward_leave, index, clock_.mark()});
  if (nvtx_) nvtx_pop();
  output_bytes_[i] = 0;
  for (Tensor& y : outputs) {
    if (!y.defined()) continue;
    output_bytes_[i] += double(y.nbytes());
    y = layers::autograd_marker(y, [this, index] { on_backward_open(index); });
  }
}

void LayerTimer::on_backward_open(int layer) {
  size_t i = size_t(layer);
  if (opened_[i]) return;  // Detect: the first of its outputs reached opens it
  opened_[i] = true;
  if (nvtx_) ranges_[i] = nvtx_start(names_[i].c_str());
  events_.push_back({Kind::backward_open, layer, clock_.mark()});
}

void LayerTimer::on_backward_input_done(int layer) {
  size_t i = size_t(layer);
  if (--inputs_pending_[i] > 0) return;
  events_.push_back({Kind::backward_input_done, layer, clock_.mark()});
  if (nvtx_ && opened_[i]) nvtx_end(ranges_[i]);
}

void LayerTimer::end_backward() {
  for (size_t i = 0; i < names_.size(); ++i)
    if (nvtx_ && opened_[i] && grad_inputs_[i] == 0) nvtx_end(ranges_[i]);
}

void LayerTimer::accumulate(const std::vector<double>& t, int backward_begin, int backward_end,
                              std::vector<double>& forward_ms, std::vector<double>& backward_ms) const {
  std::vector<int> enter_mark(names_.size(), -1);
  std::vector<int> open;  // layers whose backward runs, most recent last
  int previous = backward_begin;
  auto claim = [&](int upto) {
    if (!open.empty()) backward_ms[size_t(open.back())] += t[size_t(upto)] - t[size_t(previous)];
    previous = upto;
  };
  for (const Event& e : events_) {
    size_t i = size_t(e.layer);
    switch (e.kind) {
      case Kind::forward_enter: enter_mark[i] = e.mark; break;
      case Kind::forward_leave:
        if (enter_mark[i] >= 0) forward_ms[i] += t[size_t(e.mark)] - t[size_t(enter_mark[i])];
        break;
      case Kind::backward_open:
        claim(e.mark);
        open.push_back(e.layer);
        break;
      case Kind::backward_input_done:
        claim(e.mark);
        open.erase(std::remove(open.begin(), open.end(), e.layer), open.end());
        break;
    }
  }
  claim(backward_end);
}

}  // namespace ye::api
