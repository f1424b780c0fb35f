# The peer of bench_ddp_step: the reference's data-parallel training step (ultralytics 8.3.166 on
# PyTorch under torch.distributed, as its trainer runs it: DistributedDataParallel(find_unused_parameters
# =True, broadcast_buffers=True), loss x world_size, autocast f16, GradScaler, unscale + clip 10, SGD
# with the three parameter groups, EMA on rank 0) on a fixed GPU batch per rank (the batch of
# torch_train_step.py). Launch one process per GPU:
#   torchrun --nproc_per_node N bench/peer/torch_ddp_train_step.py [--models yolov8s,yolov8m]
#            [--batches 32,64] [--steps 20] [--out file.json]
# Rank 0 prints one JSON row per (model, batch): ms per step of the slowest rank, images/s per GPU and
# in total. With N=1 it is the single-GPU step without DDP (the reference does not wrap one device).
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import ModelEMA

from torch_train_step import IMGSZ, NC, make_batch, optimizer_for
from ultralytics.nn.tasks import DetectionModel


def run(name, batch, steps, rank, world, device):
    torch.backends.cudnn.benchmark = False  # the reference trainer's deterministic default
    torch.backends.cudnn.deterministic = True
    torch.manual_seed(1 + rank)
    model = DetectionModel(f"{name}.yaml", nc=NC, verbose=False).to(device).train()
    model.args = type("Args", (), {"box": 7.5, "cls": 0.5, "dfl": 1.5})()
    for p in model.parameters():
        p.requires_grad_(True)
    ema = ModelEMA(model) if rank == 0 else None
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index], find_unused_parameters=True)
    opt = optimizer_for(model)
    scaler = torch.amp.GradScaler("cuda")
    data = make_batch(batch, device)

    def step():
        with torch.autocast("cuda", dtype=torch.float16):
            loss, _ = net(data)
        loss = loss.sum() * world
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        if ema:
            ema.update(model)

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    if world > 1:
        dist.barrier()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    dt = torch.tensor([(time.perf_counter() - t) / steps], device=device)
    if world > 1:
        dist.all_reduce(dt, op=dist.ReduceOp.MAX)
    dt = float(dt.item())
    return {"model": name, "batch_per_gpu": batch, "gpus": world, "ms_per_step": dt * 1e3,
            "images_per_s_per_gpu": batch / dt, "images_per_s": batch * world / dt,
            "max_reserved_GiB": torch.cuda.max_memory_reserved(device) / 2**30}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--models", default="yolov8s,yolov8m")
    ap.add_argument("--batches", default="32,64")
    a = ap.parse_args()
    LOGGER.setLevel("ERROR")
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local)
    torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl", device_id=device)
    rows = []
    for name in a.models.split(","):
        for batch in (int(b) for b in a.batches.split(",")):
            r = run(name, batch, a.steps, rank, world, device)
            if rank == 0:
                print(json.dumps(r), flush=True)
            rows.append(r)
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
    if rank == 0 and a.out:
        with open(a.out, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "gpus": world,
                       "rows": rows}, f, indent=1)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
