// Internal to the profiler: the LayerHooks that time each model layer. Forward: a mark when a layer
// is entered and left. Backward: autograd markers on the layer's outputs (its backward starts when
// their gradient is complete) and on its inputs (it has ended when every input's gradient is out).
#pragma once
#include <string>
#include <vector>

#include "api/step_clock.h"
#include "layers/module.h"

namespace ye::api {

class LayerTimer : public layers::LayerHooks {
 public:
  LayerTimer(StepClock& clock, std::vector<std::string> names, bool nvtx);
  void enter(int index, std::vector<Tensor>& inputs) override;
  void leave(int index, std::vector<Tensor>& outputs) override;

  void begin_step();    // forget the previous step's events (the clock is reset by the caller)
  void end_backward();  // ends the NVTX ranges of layers without a gradient input (the first layer)
  // Adds this step's per-layer times into forward_ms / backward_ms, given the clock's times and the
  // marks that opened and closed the backward pass. Backward time before the head's outputs are
  // reached (the loss's backward) belongs to no layer.
  void accumulate(const std::vector<double>& t, int backward_begin, int backward_end, std::vector<double>& forward_ms,
                    std::vector<double>& backward_ms) const;
  // Tensor bytes seen at each layer's boundary in the last forward (inputs, outputs).
  const std::vector<double>& input_bytes() const { return input_bytes_; }
  const std::vector<double>& output_bytes() const { return output_bytes_; }

 private:
  enum class Kind { forward_enter, forward_leave, backward_open, backward_input_done };
  struct Event {
    Kind kind;
    int layer, mark;
  };
  void on_backward_open(int layer);
  void on_backward_input_done(int layer);

  StepClock& clock_;
  std::vector<std::string> names_;
  bool nvtx_;
  std::vector<Event> events_;
  std::vector<int> grad_inputs_;     // inputs that carry a marker, per layer
  std::vector<int> inputs_pending_;  // of those, not yet reached by the backward pass
  std::vector<bool> opened_;
  std::vector<uint64_t> ranges_;
  std::vector<double> input_bytes_, output_bytes_;
};

}  // namespace ye::api
