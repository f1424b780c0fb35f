# Writes the validator/predictor goldens (tests/parity/goldens/val/*.json) from the reference's own code
# (ultralytics 8.3.166): DetectionValidator.postprocess (NMS conf 0.001, IoU 0.7, multi-label),
# update_metrics (_prepare_batch/_prepare_pred scale_boxes to native space, match, confusion matrix),
# DetMetrics.process (ap_per_class), and the predictor's LetterBox(auto=True) + scale_boxes(ratio_pad None).
# Inputs are quantized (boxes to 1/16 px, scores to k/2^16) so the JSON is exact and small.
# Run with the parity venv python: `$(scripts/setup_parity_env.sh) tests/parity/gen_val.py`.
import json
import math
import os
from types import SimpleNamespace

import numpy as np
import torch
from ultralytics.data.augment import LetterBox
from ultralytics.models.yolo.detect.val import DetectionValidator
from ultralytics.utils import ops
from ultralytics.utils.metrics import ConfusionMatrix, DetMetrics

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens", "val")


def fl(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def validator(names, single_cls):
    v = DetectionValidator.__new__(DetectionValidator)
    v.iouv = torch.linspace(0.5, 0.95, 10)
    v.niou = 10
    v.nc = len(names)
    v.names = names
    v.seen = 0
    v.training = False
    v.end2end = False
    v.device = torch.device("cpu")
    v.jdict = []
    v.args = SimpleNamespace(conf=0.001, iou=0.7, single_cls=single_cls, agnostic_nms=False, max_det=300,
                             task="detect", plots=True, save_json=False, save_txt=False, verbose=True)
    v.metrics = DetMetrics(names=names)
    v.confusion_matrix = ConfusionMatrix(names=list(names.values()))
    return v


def resized(h0, w0, imgsz):
    r = imgsz / max(h0, w0)
    if r == 1:
        return h0, w0
    return min(math.ceil(h0 * r), imgsz), min(math.ceil(w0 * r), imgsz)


def make_batch(rng, shapes, H, W, imgsz, nc, anchors):
    """GT per image (normalized xywh of the letterboxed batch image, as the loader gives) and predictions."""
    B = len(shapes)
    preds = np.zeros((B, 4 + nc, anchors), np.float32)
    meta, targets = [], []
    for i, (h0, w0) in enumerate(shapes):
        h, w = resized(h0, w0, imgsz)
        r = min(H / h, W / w, 1.0)
        assert r == 1.0
        dh, dw = (H - h) / 2, (W - w) / 2
        top, left = int(round(dh - 0.1)), int(round(dw - 0.1))
        meta.append({"h0": h0, "w0": w0, "h": h, "w": w, "pad_left": left, "pad_top": top})
        a = 0
        n_gt = int(rng.integers(2, 7))
        for _ in range(n_gt):
            c = int(rng.integers(0, nc))
            bw, bh = rng.uniform(10, w * 0.5), rng.uniform(10, h * 0.5)
            x1, y1 = rng.uniform(0, w - bw) + left, rng.uniform(0, h - bh) + top
            xc, yc = np.round((x1 + bw / 2) * 16) / 16, np.round((y1 + bh / 2) * 16) / 16
            bw, bh = np.round(bw * 16) / 16, np.round(bh * 16) / 16
            targets.append([i, c, np.float32(xc / W), np.float32(yc / H), np.float32(bw / W), np.float32(bh / H)])
            for _ in range(int(rng.integers(0, 4))):  # 0..3 predictions near each GT
                if a >= anchors:
                    break
                s = max(bw, bh) * rng.choice([0.02, 0.08, 0.25])
                box = np.round((np.array([xc, yc, bw, bh]) + rng.normal(0, s, 4)) * 16) / 16
                box[2:] = np.abs(box[2:]) + 1
                preds[i, :4, a] = box
                cp = c if rng.uniform() < 0.8 else int(rng.integers(0, nc))
                preds[i, 4 + cp, a] = rng.integers(1, 65536) / 65536
                if rng.uniform() < 0.3:  # a second class score on the same box (multi-label)
                    preds[i, 4 + int(rng.integers(0, nc)), a] = rng.integers(1, 65536) / 65536
                a += 1
        while a < anchors:  # background: random boxes, mostly tiny scores (some under conf 0.001)
            bw, bh = rng.uniform(4, W / 3), rng.uniform(4, H / 3)
            preds[i, :4, a] = np.round(np.array([rng.uniform(0, W), rng.uniform(0, H), bw, bh]) * 16) / 16
            preds[i, 4 + int(rng.integers(0, nc)), a] = rng.integers(1, 400 if rng.uniform() < 0.9 else 65536) / 65536
            a += 1
    return preds, np.array(targets, np.float32).reshape(-1, 6), meta


def run_case(name, seed, shapes, H, W, imgsz, nc, anchors, single_cls):
    rng = np.random.default_rng(seed)
    names = {i: f"class{i}" for i in range(nc)}
    preds, targets, meta = make_batch(rng, shapes, H, W, imgsz, nc, anchors)
    if single_cls:  # the reference's dataset sets every label to class 0 under single_cls
        targets[:, 1] = 0
    v = validator(names, single_cls)
    batch = {
        "img": torch.zeros(len(shapes), 3, H, W),
        "batch_idx": torch.tensor(targets[:, 0]),
        "cls": torch.tensor(targets[:, 1:2]),
        "bboxes": torch.tensor(targets[:, 2:6]),
        "ori_shape": [(m["h0"], m["w0"]) for m in meta],
        "ratio_pad": [((m["h"] / m["h0"], m["w"] / m["w0"]), (m["pad_left"], m["pad_top"])) for m in meta],
        "im_file": [f"im{i}.jpg" for i in range(len(shapes))],
    }
    out = v.postprocess(torch.tensor(preds))
    nms_rows = [fl(torch.cat([o["bboxes"], o["conf"][:, None], o["cls"][:, None]], 1)) for o in out]
    v.update_metrics(out, batch)  # single_cls zeroes the rows' classes in place
    v.metrics.process(plot=False)
    m = v.metrics
    mp, mr, map50, map5095 = m.mean_results()
    return {
        "name": name, "nc": nc, "single_cls": single_cls, "height": H, "width": W,
        "preds_shape": list(preds.shape), "preds": fl(preds), "targets": fl(targets), "meta": meta,
        "nms_counts": [int(len(o["conf"])) for o in out],
        "nms_rows": nms_rows,
        "mp": float(mp), "mr": float(mr), "map50": float(map50), "map": float(map5095),
        "fitness": float(m.fitness),
        "ap_class_index": [int(c) for c in m.ap_class_index],
        "ap50": [float(x) for x in m.box.ap50], "ap": [float(x) for x in m.box.ap],
        "p": [float(x) for x in m.box.p], "r": [float(x) for x in m.box.r],
        "nt_per_class": [int(x) for x in m.nt_per_class],
        "confusion": [float(x) for x in v.confusion_matrix.matrix.reshape(-1)],
    }


def letterbox_cases():
    cases = []
    for h0, w0, imgsz in [(480, 640, 640), (310, 500, 640), (500, 310, 640), (427, 640, 320), (1080, 1920, 640),
                          (333, 333, 640), (601, 97, 416), (250, 260, 640)]:
        img = np.zeros((h0, w0, 3), np.uint8)
        lb = LetterBox(imgsz, auto=True, stride=32)(image=img)
        H, W = lb.shape[:2]
        box = torch.tensor([[W * 0.1, H * 0.2, W * 0.7, H * 0.9], [-5.0, -3.0, W + 4.0, H + 2.5]], dtype=torch.float32)
        mapped = ops.scale_boxes((H, W), box.clone(), (h0, w0))
        cases.append({"h0": h0, "w0": w0, "imgsz": imgsz, "out_h": H, "out_w": W, "boxes": fl(box),
                      "mapped": fl(mapped)})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [
        run_case("mixed", 1, [(480, 640), (375, 500), (201, 300)], 256, 320, 320, 3, 60, False),
        run_case("tall", 2, [(640, 427), (500, 250), (600, 400), (300, 200)], 320, 224, 320, 4, 50, False),
        run_case("single_cls", 3, [(480, 640), (201, 300)], 256, 320, 320, 3, 60, True),
    ]
    with open(os.path.join(OUT, "val_pipeline.json"), "w") as f:
        json.dump({"cases": cases, "letterbox": letterbox_cases()}, f)
    print("wrote", os.path.join(OUT, "val_pipeline.json"))


if __name__ == "__main__":
    main()
