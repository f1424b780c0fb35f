# The peer of bench_train_step: one training step of the reference itself (ultralytics 8.3.166 on
# PyTorch, eager, as its trainer runs it: autocast f16, GradScaler, unscale + clip 10, SGD with the
# three parameter groups, EMA) on a fixed GPU batch of the same shape and box counts.
# Usage (GPU machine, ultralytics importable): python3 bench/peer/torch_train_step.py [--out file.json]
# Rows: --models x batch 16/64 in two variants: the reference's default (NCHW, cuDNN deterministic, as its
# trainer sets) and the fastest eager PyTorch we know (channels_last, cuDNN autotuned).
import argparse
import json
import time

import torch
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import ModelEMA

IMGSZ, NC = 640, 80


def make_batch(batch, device):
    g = torch.Generator().manual_seed(7)
    idx, cls, boxes = [], [], []
    for b in range(batch):
        n = 60 if b % 16 == 0 else 8
        wh = 0.05 + 0.4 * torch.rand((n, 2), generator=g)
        xy = wh / 2 + (1 - wh) * torch.rand((n, 2), generator=g)
        idx.append(torch.full((n,), float(b)))
        cls.append(torch.randint(0, NC, (n, 1), generator=g).float())
        boxes.append(torch.cat([xy, wh], 1))
    return {"img": torch.rand((batch, 3, IMGSZ, IMGSZ), generator=g).to(device),
            "batch_idx": torch.cat(idx).to(device), "cls": torch.cat(cls).to(device),
            "bboxes": torch.cat(boxes).to(device)}


def optimizer_for(model, lr=0.01, momentum=0.937, decay=5e-4):
    g = [], [], []
    bn = tuple(v for k, v in torch.nn.__dict__.items() if "Norm" in k)
    for module_name, module in model.named_modules():
        for param_name, param in module.named_parameters(recurse=False):
            if "bias" in param_name:
                g[2].append(param)
            elif isinstance(module, bn):
                g[1].append(param)
            else:
                g[0].append(param)
    opt = torch.optim.SGD(g[2], lr=lr, momentum=momentum, nesterov=True)
    opt.add_param_group({"params": g[0], "weight_decay": decay})
    opt.add_param_group({"params": g[1], "weight_decay": 0.0})
    return opt


def run(name, batch, steps, device, deterministic, channels_last):
    torch.backends.cudnn.benchmark = not deterministic
    torch.backends.cudnn.deterministic = deterministic
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    model = DetectionModel(f"{name}.yaml", nc=NC, verbose=False).to(device).train()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    model.args = type("Args", (), {"box": 7.5, "cls": 0.5, "dfl": 1.5})()
    for p in model.parameters():
        p.requires_grad_(True)
    opt = optimizer_for(model)
    scaler = torch.amp.GradScaler("cuda")
    ema = ModelEMA(model)
    data = make_batch(batch, device)
    data["img"] = data["img"].contiguous(memory_format=fmt)

    def step():
        with torch.autocast("cuda", dtype=torch.float16):
            loss, _ = model(data)
        scaler.scale(loss.sum()).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        ema.update(model)

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / steps
    return {"model": name, "batch": batch, "cudnn": "deterministic" if deterministic else "benchmark",
            "layout": "channels_last" if channels_last else "nchw",
            "ms_per_step": dt * 1e3, "images_per_s": batch / dt,
            "max_reserved_GiB": torch.cuda.max_memory_reserved() / 2**30}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--models", default="yolov8n,yolov8s,yolo11s,yolov8m")
    a = ap.parse_args()
    LOGGER.setLevel("ERROR")
    rows = []
    for deterministic, channels_last in ((True, False), (False, True)):
        for name in a.models.split(","):
            for batch in (16, 64):
                r = run(name, batch, a.steps, "cuda:0", deterministic, channels_last)
                print(json.dumps(r), flush=True)
                rows.append(r)
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
