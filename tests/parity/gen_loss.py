# Writes the detection-loss goldens (tests/parity/goldens/loss/*.safetensors) from the reference's own
# v8DetectionLoss (ultralytics 8.3.166, CPU, f32): inputs (head logits in (B, A, C) layout, target rows),
# the three detached loss items, the total, the gradients of the total w.r.t. both logit tensors, and the
# assigner's per-anchor outputs. Run with the parity venv python: `$(scripts/setup_parity_env.sh) tests/parity/gen_loss.py`.
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import torch
from safetensors.torch import save_file
from ultralytics.utils.loss import v8DetectionLoss

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens", "loss")
STRIDES = (8, 16, 32)
REG_MAX = 16


class StandInModel(torch.nn.Module):
    """The minimum v8DetectionLoss reads from a model: args (gains), model[-1] (nc, reg_max, stride)."""

    def __init__(self, nc):
        super().__init__()
        self.args = SimpleNamespace(box=7.5, cls=0.5, dfl=1.5)
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.model = [SimpleNamespace(nc=nc, reg_max=REG_MAX, stride=torch.tensor(STRIDES, dtype=torch.float32))]


def random_logits(gen, b, a, nc):
    """Box logits biased towards short distances (varied per side) and class logits around -1."""
    bins = torch.arange(REG_MAX, dtype=torch.float32)
    slope = torch.rand(b, a, 4, 1, generator=gen) * 0.9
    distri = torch.randn(b, a, 4, REG_MAX, generator=gen) * 1.5 - slope * bins
    scores = torch.randn(b, a, nc, generator=gen) * 2.0 - 1.0
    # Stored as f16 so the files stay small; the reference runs on the exact f32 upcast.
    return distri.reshape(b, a, 4 * REG_MAX).half().float(), scores.half().float()


def box(img, cls, x1, y1, x2, y2, imgw, imgh):
    """A target row (img, cls, xc, yc, w, h) normalized, from pixel xyxy."""
    return [img, cls, (x1 + x2) / 2 / imgw, (y1 + y2) / 2 / imgh, (x2 - x1) / imgw, (y2 - y1) / imgh]


def random_boxes(gen, img, n, nc, imgw, imgh, min_px, max_px):
    rows = []
    for _ in range(n):
        w = min_px + (max_px - min_px) * torch.rand(1, generator=gen).item()
        h = min_px + (max_px - min_px) * torch.rand(1, generator=gen).item()
        x1 = (imgw - w) * torch.rand(1, generator=gen).item()
        y1 = (imgh - h) * torch.rand(1, generator=gen).item()
        cls = int(torch.randint(0, nc, (1,), generator=gen).item())
        rows.append(box(img, cls, x1, y1, x1 + w, y1 + h, imgw, imgh))
    return rows


def case_basic(gen):
    b, nc, imgh, imgw = 4, 5, 64, 96
    rows = random_boxes(gen, 0, 5, nc, imgw, imgh, 6, 60)
    # image 1 empty; image 2: tiny boxes (under one P3 cell) and boxes touching the borders
    rows += [box(2, 1, 10.2, 12.7, 14.1, 16.0, imgw, imgh), box(2, 3, 41.0, 30.5, 46.5, 33.0, imgw, imgh)]
    rows += [box(2, 0, 0.0, 0.0, 30.0, 22.0, imgw, imgh), box(2, 4, 70.0, 40.0, 96.0, 64.0, imgw, imgh)]
    rows += [box(2, 2, 0.0, 50.0, 12.0, 64.0, imgw, imgh)]
    rows += random_boxes(gen, 3, 8, nc, imgw, imgh, 4, 90)
    return b, nc, imgh, imgw, rows


def case_conflict(gen):
    b, nc, imgh, imgw = 2, 3, 64, 64
    rows = [box(0, 0, 8.0, 8.0, 40.0, 40.0, imgw, imgh), box(0, 1, 9.0, 7.5, 41.0, 39.0, imgw, imgh),
            box(0, 2, 20.0, 16.0, 56.0, 50.0, imgw, imgh)]
    rows += [box(1, 1, 4.0, 4.0, 60.0, 60.0, imgw, imgh), box(1, 2, 16.0, 16.0, 36.0, 36.0, imgw, imgh),
             box(1, 0, 14.0, 18.0, 38.0, 34.0, imgw, imgh)]
    return b, nc, imgh, imgw, rows


def case_many(gen):
    b, nc, imgh, imgw = 2, 3, 128, 128
    rows = random_boxes(gen, 0, 120, nc, imgw, imgh, 3, 40)
    rows += [box(1, 2, 30.0, 20.0, 100.0, 90.0, imgw, imgh), box(1, 0, 0.0, 100.0, 128.0, 128.0, imgw, imgh)]
    return b, nc, imgh, imgw, rows


def case_empty(gen):
    return 3, 4, 64, 64, []


def case_large(gen):
    """A >= 640 takes torch's partial-sort top-k path; a thin box on the first anchor row ties at zero."""
    b, nc, imgh, imgw = 2, 3, 192, 192
    rows = [box(0, 0, 0.0, 0.0, 84.0, 9.0, imgw, imgh), box(0, 1, 3.0, 2.0, 5.5, 6.0, imgw, imgh)]
    rows += random_boxes(gen, 0, 6, nc, imgw, imgh, 5, 150)
    rows += random_boxes(gen, 1, 4, nc, imgw, imgh, 10, 100)
    return b, nc, imgh, imgw, rows


def run_case(name, maker, seed):
    gen = torch.Generator().manual_seed(seed)
    b, nc, imgh, imgw, rows = maker(gen)
    levels = [(imgh // s, imgw // s) for s in STRIDES]
    a = sum(h * w for h, w in levels)
    distri, scores = random_logits(gen, b, a, nc)
    targets = torch.tensor(rows, dtype=torch.float32).reshape(-1, 6)

    whole = torch.cat([distri, scores], 2)  # (b, a, 64 + nc)
    feats, start = [], 0
    for h, w in levels:
        f = whole[:, start:start + h * w, :].permute(0, 2, 1).reshape(b, 4 * REG_MAX + nc, h, w).clone()
        feats.append(f.requires_grad_(True))
        start += h * w

    crit = v8DetectionLoss(StandInModel(nc))
    recorded = {}
    assign = crit.assigner

    def recording_assigner(*args):
        out = assign(*args)
        recorded["fg"], recorded["gt_idx"] = out[3], out[4]
        recorded["norm"] = out[2].sum(-1)
        return out

    crit.assigner = recording_assigner
    batch = {"batch_idx": targets[:, 0], "cls": targets[:, 1:2], "bboxes": targets[:, 2:6]}
    loss, items = crit(feats, batch)
    total = loss.sum()
    total.backward()
    grad = torch.cat([f.grad.reshape(b, 4 * REG_MAX + nc, -1) for f in feats], 2).permute(0, 2, 1)

    tensors = {
        "pred_distri": distri.half(),
        "pred_scores": scores.half(),
        "targets": targets,
        "loss_items": items.float(),
        "total": total.detach().reshape(1),
        "grad_distri": grad[..., :4 * REG_MAX].contiguous(),
        "grad_scores": grad[..., 4 * REG_MAX:].contiguous(),
        "fg_mask": recorded["fg"].to(torch.uint8),
        "target_gt_idx": recorded["gt_idx"].to(torch.int32),
        "target_norm": recorded["norm"].float(),
    }
    meta = {"batch": str(b), "classes": str(nc), "img_h": str(imgh), "img_w": str(imgw), "anchors": str(a)}
    path = os.path.join(OUT, f"{name}.safetensors")
    save_file(tensors, path, metadata=meta)
    fg = recorded["fg"].sum().item()
    print(f"{name}: B={b} A={a} nc={nc} targets={len(rows)} fg={fg} items={items.tolist()} "
          f"total={total.item():.6f} -> {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    cases = {"basic": case_basic, "conflict": case_conflict, "many": case_many, "empty": case_empty,
             "large": case_large}
    for seed, (name, maker) in enumerate(cases.items()):
        run_case(name, maker, 1000 + seed)
    with open(os.path.join(OUT, "README.json"), "w") as f:
        json.dump({"generator": "tests/parity/gen_loss.py", "reference": "ultralytics 8.3.166 v8DetectionLoss, CPU f32",
                   "cases": list(cases)}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
