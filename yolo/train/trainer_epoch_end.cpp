// The training driver (Trainer::train): epochs, end-of-epoch validation with the EMA weights,
// results.csv / TensorBoard / results.png, checkpoints (last, best, epochN, atomic) and the final
// validation of best; in a distributed run rank 0 alone does the end-of-epoch work and its stop
// decision reaches every rank.
#include <cstdio>

#include "engine/allocator.h"
#include "engine/ops.h"
#include "yolo/run/console.h"
#include "yolo/run/plots.h"
#include "yolo/train/trainer_state.h"

namespace ye::yolo {

void Trainer::State::save_checkpoints(int64_t epoch, const EpochValidation& v, bool is_best) {
  eval_model->copy_weights_from(ema->values(), ema->buffers());
  std::map<std::string, std::string> extra = {{"epoch", std::to_string(epoch)},
                                              {"fitness", std::to_string(v.fitness)}};
  std::filesystem::path last = run.weights / "last.safetensors";
  TrainState st;
  st.counters = counters;
  st.args_yaml = to_yaml(args, run.root.string());
  // best before the pair: a run resumed from an older pair rewrites it identically and finds it at the end.
  // A kill between the two renames must leave a resumable pair: the first time the state goes first
  // (never weights without a state), later the weights (never a finished state beside older weights).
  // The snapshots are taken here; the files are written in this order while the next epoch trains.
  std::vector<PendingFile> files;
  if (is_best) files.push_back(weights_file(run.weights / "best.safetensors", *eval_model, data_cfg.names, extra));
  const bool first_save = !state_saved && !args.resume.enabled();
  if (first_save) files.push_back(train_state_file(last, *model, *ema, *optimizer, *scaler, st));
  files.push_back(weights_file(last, *eval_model, data_cfg.names, extra));
  if (!first_save) files.push_back(train_state_file(last, *model, *ema, *optimizer, *scaler, st));
  state_saved = true;
  if (saves_epoch_checkpoint(epoch, args.save_period))
    files.push_back(weights_file(run.weights / ("epoch" + std::to_string(epoch) + ".safetensors"), *eval_model,
                                 data_cfg.names, extra));
  checkpoint_writer.submit(std::move(files));
}

void Trainer::stop_after_epochs(int64_t epochs) { s_->stop_after = epochs; }

TrainSummary Trainer::train() {
  State& s = *s_;
  s.activity->set(TrainPhase::setup);
  s.setup();
  s.start = std::chrono::steady_clock::now();
  TrainSummary summary;
  summary.save_dir = s.run.root.string();
  int64_t first = s.counters.epoch;
  for (int64_t epoch = first; epoch < s.args.epochs; ++epoch) {
    s.run_epoch(epoch);
    s.activity->set(TrainPhase::all_reduce);
    if (s.ddp) s.ddp->sync_gradients();  // the checkpoint's pending gradients agree on every rank
    if (s.interrupted) {
      if (s.main_rank) {
        s.activity->set(TrainPhase::checkpoint);
        EpochValidation none;
        s.save_checkpoints(epoch, none, false);
        s.checkpoint_writer.wait();
        std::printf("Interrupted: saved %s (resume with --resume %s)\n", (s.run.weights / "last.safetensors").c_str(),
                    (s.run.weights / "last.safetensors").c_str());
      }
      summary.interrupted = true;
      break;
    }
    bool final_epoch = epoch + 1 == s.args.epochs;
    bool stopped_after = s.stop_after >= 0 && epoch + 1 >= s.stop_after;
    bool stop_early = false;
    if (s.main_rank) stop_early = s.end_epoch(epoch, final_epoch, stopped_after);
    // Rank 0's patience decision reaches every rank (the other ranks wait here while it validates).
    s.activity->set(TrainPhase::rank_sync);
    stop_early = s.agree_stop(stop_early);
    summary.epochs_completed = epoch + 1;
    if (stopped_after) {
      summary.interrupted = true;
      break;
    }
    if (stop_early) {
      if (s.main_rank)
        std::printf("Stopping training early as no improvement observed in last %lld epochs.\n",
                    (long long)s.args.patience);
      break;
    }
  }
  s.activity->set(TrainPhase::checkpoint);
  s.checkpoint_writer.wait();  // every checkpoint on disk (a write error surfaces here at the latest)
  s.activity->set(TrainPhase::done);
  if (s.comm) s.comm->shutdown();  // every rank is done with collectives; the others may now exit
  if (!s.main_rank) return summary;
  summary.skipped_steps = s.scaler->skipped_steps();
  if (summary.skipped_steps > 0)
    std::printf("fp16 loss scaling skipped %lld optimizer step(s) with non-finite gradients\n",
                (long long)summary.skipped_steps);
  std::printf("%s\n", epochs_completed_line(summary.epochs_completed - first, s.elapsed()).c_str());
  if (!summary.interrupted && summary.epochs_completed > 0) {
    std::filesystem::path best = s.run.weights / "best.safetensors";
    std::printf("%s\n", validating_line(best.string()).c_str());
    s.eval_model->load_state_dict(io::read_safetensors(best.string()), true);
    s.activity->set(TrainPhase::validation);
    EpochValidation v = s.validate(true);
    summary.map50 = v.map50, summary.map50_95 = v.map50_95, summary.precision = v.precision, summary.recall = v.recall;
  }
  summary.best_fitness = s.counters.best_fitness;
  std::printf("%s\n", results_saved_line(s.run.root.string()).c_str());
  return summary;
}

// Rank 0's end of an epoch: validation, best fitness, patience, checkpoints, results.csv, TensorBoard
// and results.png. Returns whether patience stops the run.
bool Trainer::State::end_epoch(int64_t epoch, bool final_epoch, bool stopped_after) {
  EpochValidation v;
  activity->set(TrainPhase::validation);
  if (args.val || final_epoch) v = validate(false);
  counters.epoch = epoch + 1;
  counters.elapsed_s = elapsed();
  bool is_best = v.fitness > counters.best_fitness || counters.best_fitness < 0;
  if (is_best) counters.best_fitness = v.fitness;
  bool stop_early = !stopped_after && stopper->update(epoch + 1, args.val ? std::optional<double>(v.fitness) : std::nullopt);
  counters.finished = final_epoch || stop_early;
  activity->set(TrainPhase::checkpoint);
  save_checkpoints(epoch, v, is_best);

  ResultsRow row;
  row.epoch = epoch + 1;
  row.time = elapsed();
  row.train_loss = epoch_train_loss;
  row.precision = v.precision, row.recall = v.recall, row.map50 = v.map50, row.map50_95 = v.map50_95;
  row.val_loss = v.loss;
  for (size_t g = 0; g < 3 && g < optimizer->groups().size(); ++g) row.lr[g] = optimizer->groups()[g].lr;
  row.images_per_s = epoch_images_per_s;
  row.gpu_mem_gb = double(allocator_stats(device).peak_bytes_in_use) / double(1ull << 30);
  row.skipped_steps = long(scaler->skipped_steps());
  append_results_row(run.file("results.csv"), row);
  log_epoch_scalars(*tb, row);
  tb->flush();
  if (plots) plot_results(read_results_csv(run.file("results.csv")), run.file("results.png"));
  return stop_early;
}

}  // namespace ye::yolo
