// Validation during training: the EMA weights copied into the evaluation model, run through the
// validator with the training criterion (val losses) in the training precision (fp16 under AMP, as
// the reference forces FP16 val); the final validation of best adds per-class rows and plots.
#include "yolo/train/trainer_state.h"
#include "yolo/val/eval_model.h"
#include "yolo/val/validator.h"

namespace ye::yolo {

EpochValidation Trainer::State::validate(bool final_eval) {
  if (!final_eval) eval_model->copy_weights_from(ema->values(), ema->buffers());
  eval_model->set_training(false);
  DetectionEvalModel m(*eval_model);
  ValidatorOptions o;
  o.input_dtype = act_dtype;
  o.criterion = criterion.get();
  o.names = data_cfg.names;
  o.single_cls = args.single_cls;
  o.per_class = final_eval;
  o.save_dir = run.root;
  o.plots = final_eval && plots;
  ValResult r = ye::yolo::validate(m, *val_loader, o);
  EpochValidation v;
  v.precision = r.mp, v.recall = r.mr, v.map50 = r.map50, v.map50_95 = r.map, v.fitness = r.fitness;
  v.loss = r.losses;
  return v;
}

}  // namespace ye::yolo
