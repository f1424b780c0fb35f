// Trainer set-up and the epoch loop (see trainer.h). Validation and checkpoint writing live in
// trainer_epoch_end.cpp.
#include "yolo/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "engine/allocator.h"
#include "engine/dist/dist_env.h"
#include "engine/oom_message.h"
#include "engine/ops.h"
#include "yolo/config/devices.h"
#include "yolo/run/atomic_file.h"
#include "yolo/run/console.h"
#include "yolo/run/plots.h"
#include "yolo/train/trainer_state.h"

namespace ye::yolo {

bool Trainer::State::agree_stop(bool local) {
  if (!comm) return local;
  return comm->all_reduce_host(local ? 1.0 : 0.0, dist::HostOp::max) > 0.5;
}

double Trainer::State::elapsed() const {
  return elapsed_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace {
Device check_device(const std::string& text) {
  Device d = Device::parse(text);
  if (d.is_cuda()) {
    YE_CHECK(built_with_cuda(), "--device ", text, ": this build has no CUDA backend; use --device cpu");
    YE_CHECK(d.index < cuda_device_count(), "--device ", text, ": only ", cuda_device_count(), " CUDA device(s) present");
  }
  return d;
}

// One device per process. In a distributed run a list (--device 0,1) names this node's devices and
// LOCAL_RANK picks one; a single GPU or no --device means cuda:LOCAL_RANK (modulo the visible devices,
// for launchers that already restrict CUDA_VISIBLE_DEVICES per process); cpu means CPU ranks.
Device resolve_device(const std::string& text, const dist::DistEnv& env) {
  std::vector<std::string> list = split_device_list(text);
  if (!env.distributed()) {
    if (list.empty()) return cuda_available() ? Device::cuda(0) : Device::cpu();
    YE_CHECK(list.size() == 1, "--device ", text, ": several devices need one process each; run `yolo train` "
             "directly (it spawns them) or under torchrun/mpirun/srun with RANK and WORLD_SIZE set");
    return check_device(list[0]);
  }
  if (list.size() > 1) {
    YE_CHECK(size_t(env.local_rank) < list.size(), "--device ", text, " lists ", list.size(), " devices but LOCAL_RANK=",
             env.local_rank);
    return check_device(list[size_t(env.local_rank)]);
  }
  if (!list.empty() && Device::parse(list[0]).is_cpu()) return Device::cpu();
  if (!cuda_available()) return Device::cpu();
  return check_device(std::to_string(env.local_rank % cuda_device_count()));
}

data::AugmentOptions augment_options(const TrainArgs& a) {
  data::AugmentOptions o;
  o.hsv_h = a.hsv_h, o.hsv_s = a.hsv_s, o.hsv_v = a.hsv_v;
  o.degrees = a.degrees, o.translate = a.translate, o.scale = a.scale, o.shear = a.shear;
  o.perspective = a.perspective, o.flipud = a.flipud, o.fliplr = a.fliplr, o.mosaic = a.mosaic, o.mixup = a.mixup;
  return o;
}
}  // namespace

void Trainer::State::setup() {
  if (args.resume.enabled()) {
    YE_CHECK(args.resume.is_text(), "resume=true: the checkpoint must be resolved first (resumed_train_args)");
    check_resumable(read_train_state_info(args.resume.text).counters, args.epochs, args.resume.text);
  }
  denv = dist::read_dist_env();
  main_rank = denv.main_rank();
  device = resolve_device(args.device, denv);
  if (denv.distributed()) {
    comm = dist::make_communicator(denv, device, dist::dist_timeout());
    if (main_rank)
      std::printf("DDP: %d processes (%s), this rank on %s\n", denv.world_size, comm->backend(), device.str().c_str());
  }
  Precision prec = args.resolved_precision();
  if (device.is_cpu() && (prec == Precision::fp16 || prec == Precision::bf16 || prec == Precision::tf32)) {
    if (main_rank && (args.amp || prec != Precision::fp16)) std::printf("precision: the CPU trains in fp32\n");
    prec = Precision::fp32;
  }
  act_dtype = prec == Precision::fp16 ? DType::f16 : prec == Precision::bf16 ? DType::bf16 : DType::f32;
  loss_scaling = prec == Precision::fp16;
  ops::set_allow_tf32(device, prec == Precision::tf32);
  args.imgsz = stride_aligned_imgsz(args.imgsz);
  plots = args.plots;

  data_cfg = data::load_dataset_yaml(args.data);
  data::DatasetOptions dopt;
  dopt.fraction = args.fraction;
  if (!main_rank) dopt.log = nullptr;  // every rank reads the same labels: rank 0 alone reports them
  train_ds = std::make_shared<const data::Dataset>(data::Dataset::load(data_cfg, "train", dopt));
  data::DatasetOptions vopt;
  if (main_rank) val_ds = std::make_shared<const data::Dataset>(data::Dataset::load(data_cfg, "val", vopt));
  int nc = args.single_cls ? 1 : data_cfg.nc();

  std::string model_name = args.model.empty() ? "yolov8n" : args.model, scale;
  if (args.resume.enabled()) {  // model is the checkpoint itself when resuming; its metadata names the model
    auto meta = io::read_safetensors_metadata(args.resume.text);
    if (!meta["model"].empty()) model_name = meta["model"], scale = meta["scale"];
  }
  spec = load_model_spec(model_name, nc, scale);
  // The reference seeds each rank with seed + 1 + RANK (RANK = -1 when single); rank 0's initial
  // weights are then broadcast to every rank.
  uint64_t seed = uint64_t(args.seed) + (denv.distributed() ? uint64_t(1 + denv.rank) : 0);
  model = std::make_unique<DetectionModel>(spec, device, seed);
  if (main_rank) {
    eval_model = std::make_unique<DetectionModel>(spec, device, seed);
    eval_model->set_training(false);
  }
  if (args.pretrained.is_text()) {
    LoadReport r = model->load_state_dict(io::read_safetensors(args.pretrained.text), false);
    if (main_rank) std::printf("Transferred %d/%d items from pretrained weights\n", r.transferred, r.total);
  }
  if (main_rank) std::printf("%s\n", summary_line(spec, int(args.imgsz)).c_str());

  batch = args.batch;
  YE_CHECK(batch > 0, "--batch ", batch, ": AutoBatch (-1 or a fraction) is not supported; give a batch size");
  const int64_t world = denv.world_size;
  YE_CHECK(batch % world == 0, "--batch ", batch, " must be a multiple of the number of processes (", world,
           "): each rank trains on batch / ", world, " images");
  const int64_t rank_batch = batch / world;
  accumulate = resolve_accumulate(args.accumulate, args.nbs, batch);
  weight_decay = scaled_weight_decay(args.weight_decay, batch, accumulate, args.nbs);

  int64_t cpus = int64_t(std::max(1u, std::thread::hardware_concurrency()));
  int64_t workers = loader_workers(args.workers, cpus, device.is_cuda() || denv.distributed() ? denv.local_world_size : 0);
  data::LoaderOptions lo;
  lo.imgsz = int(args.imgsz);
  lo.batch_size = int(rank_batch);
  lo.workers = int(workers);
  if (!main_rank) lo.log = nullptr;  // the other ranks do not log (as the reference's LOGGER on RANK > 0)
  // One shuffle for all ranks (the distributed sampler needs it): the loader's seed is shared, and its
  // augmentation is keyed by (seed, epoch, image), so ranks never repeat each other's draws.
  lo.seed = uint64_t(args.seed);
  lo.rank = denv.rank;
  lo.world_size = denv.world_size;
  lo.cache_ram = args.cache_mode() == "ram";
  lo.aug = augment_options(args);
  train_loader = std::make_unique<data::Loader>(train_ds, lo);
  if (main_rank) {
    data::LoaderOptions vo = data::LoaderOptions::validation(int(args.imgsz), int(rank_batch) * 2, int(workers) * 2);
    val_loader = std::make_unique<data::Loader>(val_ds, vo);
  }
  nb = int64_t(train_loader->num_batches());
  nw = warmup_iterations(args.warmup_epochs, nb);

  int64_t iterations = auto_optimizer_iterations(int64_t(train_ds->size()), batch, args.nbs, args.epochs);
  opt_choice = choose_optimizer(args.optimizer, args.lr0, args.momentum, args.warmup_bias_lr, nc, iterations);
  if (args.optimizer == "auto" && main_rank) std::printf("%s\n", optimizer_auto_line(args.lr0, args.momentum).c_str());
  std::vector<ParamGroup> groups = model->param_groups(float(opt_choice.lr), float(opt_choice.momentum),
                                                       float(weight_decay));
  OptimizerKind kind = opt_choice.name == "SGD" ? OptimizerKind::sgd : OptimizerKind::adamw;
  YE_CHECK(opt_choice.name == "SGD" || opt_choice.name == "AdamW", "optimizer ", opt_choice.name,
           " is not available in this engine; use SGD, AdamW or auto");
  optimizer = std::make_unique<Optimizer>(kind, model->parameters(), groups, 0.999f, 1e-8f, true);
  for (auto& g : optimizer->groups()) initial_lr.push_back(g.initial_lr);
  if (main_rank)
    std::printf("%s\n", optimizer_line(opt_choice.name, opt_choice.lr, opt_choice.momentum, groups[2].count,
                                     groups[1].count, weight_decay, groups[0].count)
                          .c_str());
  scaler = std::make_unique<GradScaler>(device, loss_scaling);
  ema = std::make_unique<ModelEMA>(model->parameters().values(), model->buffers().values());
  kernels::DetLossParams lp;
  lp.box_gain = float(args.box), lp.cls_gain = float(args.cls), lp.dfl_gain = float(args.dfl);
  criterion = std::make_unique<DetectionLoss>(nc, std::vector<int>{8, 16, 32}, lp);
  stopper.emplace(args.patience);

  if (args.resume.enabled()) {
    std::filesystem::path last = args.resume.text;
    run.weights = last.parent_path();
    run.root = run.weights.parent_path();
    TrainState st = load_train_state(last, *model, *ema, *optimizer, *scaler);
    counters = st.counters;
    elapsed_before = counters.elapsed_s;
    stopper->best_fitness = std::max(0.0, counters.best_fitness);
    if (main_rank)
      std::printf("Resuming training %s from epoch %lld to %lld total epochs\n", last.string().c_str(),
                  (long long)counters.epoch + 1, (long long)args.epochs);
  } else if (main_rank) {
    run = create_run_dir(args.project, args.name, args.exist_ok);
  }
  if (comm) {
    ddp = std::make_unique<DataParallel>(*comm, *model);
    ddp->broadcast_state();  // every rank starts from rank 0's weights (and resumed state)
    if (args.sync_bn) ddp->enable_sync_bn();
    if (main_rank)
      std::printf("DDP: gradients all-reduced in %zu buckets (%.1f MB) during backward, per-rank batch %lld\n",
                  ddp->reducer().buckets().size(), double(model->parameters().total()) * 4.0 / 1e6,
                  (long long)rank_batch);
    if (main_rank && args.sync_bn) std::printf("DDP: SyncBN, BatchNorm statistics over all %d ranks\n", comm->world_size());
  } else if (args.sync_bn && main_rank) {
    std::printf("sync_bn=True has no effect in a single-process run\n");
  }
  TrainStepParts parts;
  parts.model = model.get(), parts.loss = criterion.get(), parts.optimizer = optimizer.get();
  parts.scaler = scaler.get(), parts.ema = main_rank ? ema.get() : nullptr, parts.ddp = ddp.get();
  parts.input_dtype = act_dtype;
  parts.max_norm = args.max_grad_norm > 0 ? float(args.max_grad_norm) : 10.0f;
  parts.activity = activity;
  train_step = std::make_unique<TrainStep>(parts);
  if (!main_rank) return;
  write_file_atomic(run.file("args.yaml"), to_yaml(args, run.root.string()));
  tb = std::make_unique<TensorBoardWriter>(run.root);
  if (plots && !args.resume.enabled()) {
    std::vector<LabelBox> labels;
    for (const auto& rec : train_ds->records())
      for (const auto& b : rec.boxes) labels.push_back({args.single_cls ? 0 : b.cls, b.xc, b.yc, b.w, b.h});
    if (!labels.empty()) {
      plot_labels(labels, data_cfg.names, run.file("labels.jpg"));
      plot_labels_correlogram(labels, run.file("labels_correlogram.jpg"));
    }
  }
  std::printf("%s\n", training_start_lines(args.imgsz, workers, run.root.string(), args.epochs).c_str());
}

namespace {
std::vector<BatchBox> batch_boxes(const data::Batch& b) {
  std::vector<BatchBox> out;
  for (size_t i = 0; i < b.num_targets(); ++i) {
    const float* t = &b.targets[i * 6];
    out.push_back({int64_t(t[0]), int64_t(t[1]), t[2], t[3], t[4], t[5], -1.0f});
  }
  return out;
}
}  // namespace

void Trainer::State::run_epoch(int64_t epoch) {
  // Also true for the first epoch of a resumed run that starts past the close_mosaic epoch.
  if (!mosaic_closed && args.close_mosaic > 0 && epoch >= args.epochs - args.close_mosaic) {
    if (main_rank) std::printf("Closing dataloader mosaic\n");
    train_loader->close_mosaic();
    mosaic_closed = true;
  }
  train_loader->set_epoch(int(epoch));
  double lf = lr_lambda(epoch, args.epochs, args.lrf, args.cos_lr);
  for (size_t g = 0; g < optimizer->groups().size(); ++g)
    optimizer->groups()[g].lr = float(scheduled_lr(initial_lr[g], lf));
  model->set_training(true);
  if (main_rank) std::printf("%s\n", train_progress_header().c_str());
  Tensor loss_sum = Tensor::zeros({4}, DType::f32, device);
  auto epoch_start = std::chrono::steady_clock::now();
  auto last_print = epoch_start;
  std::vector<int64_t> plot_iters = train_batch_plot_iterations(nb, args.epochs, args.close_mosaic);
  int64_t images = 0, i = 0;
  activity->start_epoch(epoch + 1, args.epochs, nb);
  for (;;) {
    activity->set(TrainPhase::data, std::min(i + 1, nb));  // at i == nb: the loader's end of the epoch
    auto batch_opt = train_loader->next();
    if (!batch_opt) break;
    const data::Batch& b = *batch_opt;
    int64_t ni = i + nb * epoch;
    if (ni <= nw) {
      WarmupState w = warmup_state(ni, nw, args.nbs, batch, initial_lr[0], lf, opt_choice.warmup_bias_lr,
                                   args.warmup_momentum, args.momentum);
      accumulate = args.accumulate > 0 ? args.accumulate : w.accumulate;
      for (size_t g = 0; g < optimizer->groups().size() && g < 3; ++g) {
        optimizer->groups()[g].lr = float(w.lr[g]);
        if (optimizer->kind() == OptimizerKind::sgd) optimizer->groups()[g].momentum = float(w.momentum);
      }
    }
    const bool step = should_step(ni, counters.last_opt_step, accumulate);
    StepBatch sb{b.images, b.memory, b.batch_size, b.height, b.width, b.targets.data(), int64_t(b.num_targets())};
    ops::add_(loss_sum, train_step->run(sb, step));
    const std::string& recompute = train_step->stats().recompute_reason;
    if (main_rank && device.is_cuda() && !recompute_reported && !recompute.empty()) {
      recompute_reported = true;
      std::printf("activation recompute: %s\n", recompute.c_str());
    }
    const TrainStepStats& ts = train_step->stats();
    if (main_rank && ts.captures > graphs_reported) {
      graphs_reported = ts.captures;
      std::printf("step graph: %zu nodes, pool %s (%s; live peak %s, size-class pool %s)\n", ts.graph_nodes,
                  human_bytes(ts.graph_bytes).c_str(), ts.graph_planned ? "planned by lifetime" : "size-class cache",
                  human_bytes(ts.graph_live_peak).c_str(), human_bytes(ts.graph_cache_bytes).c_str());
    }
    if (step) {
      counters.last_opt_step = ni;
      counters.optimizer_steps++;
      counters.ema_updates = ema->updates;
      nonfinite.after_step(*scaler, run.weights / "last.safetensors");  // fault_policy.h
    }
    images += b.batch_size;
    if (main_rank && plots && std::find(plot_iters.begin(), plot_iters.end(), ni) != plot_iters.end()) {
      std::vector<std::string> paths;
      for (auto& m : b.meta) paths.push_back(m.path);
      plot_batch(b.images, b.batch_size, b.height, b.width, batch_boxes(b), data_cfg.names,
                 run.file("train_batch" + std::to_string(ni) + ".jpg"), paths);
    }
    ++i;
    auto now = std::chrono::steady_clock::now();
    bool last = i == nb;
    activity->set(TrainPhase::rank_sync);
    bool stopping = agree_stop(stop && stop->load());
    if (!main_rank) {
      if (stopping) {
        interrupted = true;
        break;
      }
      continue;
    }
    if (last || stopping || std::chrono::duration<double>(now - last_print).count() > 1.0) {
      last_print = now;
      std::vector<float> l = loss_sum.to_vector();
      TrainProgress p;
      p.epoch = epoch;
      p.epochs = args.epochs;
      p.gpu_mem_gb = double(allocator_stats(device).bytes_reserved) / double(1ull << 30);
      for (int k = 0; k < 3; ++k) p.losses[size_t(k)] = l[size_t(k)] / double(i);
      p.instances = int64_t(b.num_targets());
      p.size = b.width;
      p.done = i;
      p.total = nb;
      p.elapsed_s = std::chrono::duration<double>(now - epoch_start).count();
      p.images_per_s = double(images * denv.world_size) / std::max(p.elapsed_s, 1e-9);  // all ranks
      if (device.is_cuda()) p.gpu_util = gpu.utilization_text(unsigned(device.index));
      std::printf("\r%s", format_train_progress(p).c_str());
      std::fflush(stdout);
      epoch_train_loss = {l[0] / double(i), l[1] / double(i), l[2] / double(i)};
      epoch_images_per_s = p.images_per_s;
    }
    if (stopping) {
      interrupted = true;
      break;
    }
  }
  if (main_rank) std::printf("\n");
}

Trainer::Trainer(TrainArgs args, const std::atomic<bool>* stop) : s_(std::make_unique<State>()) {
  s_->args = std::move(args);
  s_->stop = stop;
}

Trainer::~Trainer() = default;

void Trainer::report_activity(TrainActivity* activity) { s_->activity = activity ? activity : &s_->own_activity; }

}  // namespace ye::yolo
