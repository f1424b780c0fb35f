# Writes the metrics/NMS goldens (tests/parity/goldens/metrics/*.json) from the reference's own code
# (ultralytics 8.3.166): DetectionValidator._process_batch/match_predictions, DetMetrics/ap_per_class,
# ConfusionMatrix.process_batch, print_results (table lines), smooth, and ops.non_max_suppression.
# Inputs are quantized (boxes to 1/16 px, scores to k/2^16) so the JSON stays small and exact.
# Run with the parity venv python: `$(scripts/setup_parity_env.sh) tests/parity/gen_metrics.py`.
import json
import logging
import os
from types import SimpleNamespace

import numpy as np
import torch
from ultralytics.models.yolo.detect.val import DetectionValidator
from ultralytics.utils import LOGGER, ops
from ultralytics.utils.metrics import ConfusionMatrix, DetMetrics, box_iou, smooth

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens", "metrics")


def fl(a):
    """float32 array -> list of Python floats (exact)."""
    return [float(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def validator(nc, names):
    """A DetectionValidator without __init__: only what _process_batch and print_results read."""
    v = DetectionValidator.__new__(DetectionValidator)
    v.iouv = torch.linspace(0.5, 0.95, 10)
    v.niou = 10
    v.nc = nc
    v.names = names
    v.seen = 0
    v.training = False
    v.args = SimpleNamespace(verbose=True, task="detect")
    v.metrics = DetMetrics(names=names)
    return v


def rand_box(rng, w=640, h=480):
    bw, bh = rng.uniform(8, 200), rng.uniform(8, 200)
    x1, y1 = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
    return np.round(np.array([x1, y1, x1 + bw, y1 + bh]) * 16) / 16


def jitter(rng, b, s):
    return np.round((b + rng.normal(0, s, 4)) * 16) / 16


def make_images(rng, nc, n_img, gt_classes, fp_classes, max_gt=10, perfect=False, dense=False):
    """Random GT per image and predictions near them (TPs with jitter, class flips, duplicates, FPs)."""
    images = []
    for i in range(n_img):
        kind = i % 7
        n_gt = 0 if kind == 3 or (kind == 5 and not perfect) else int(rng.integers(1, max_gt + 1))
        base = rand_box(rng)
        gt = [jitter(rng, base, 25) if dense else rand_box(rng) for _ in range(n_gt)]
        gcls = [int(rng.choice(gt_classes)) for _ in range(n_gt)]
        preds, pcls = [], []
        if kind != 3 and kind != 4:
            for b, c in zip(gt, gcls):
                if perfect:
                    preds.append(b.copy()), pcls.append(c)
                    continue
                for _ in range(int(rng.integers(0, 3))):
                    preds.append(jitter(rng, b, float(rng.choice([1, 4, 12, 30]))))
                    pcls.append(c if rng.random() < 0.8 else int(rng.integers(0, nc)))
            if not perfect:
                for _ in range(int(rng.integers(0, 4))):
                    preds.append(rand_box(rng)), pcls.append(int(rng.choice(fp_classes)))
        images.append(dict(gt_boxes=np.array(gt, np.float32).reshape(-1, 4), gt_cls=np.array(gcls, np.int64),
                           pred_boxes=np.array(preds, np.float32).reshape(-1, 4), pred_cls=np.array(pcls, np.int64)))
    total = sum(len(im["pred_cls"]) for im in images)
    confs = (rng.choice(np.arange(1, 65536), size=total, replace=False) / 65536).astype(np.float32)
    k = 0
    for im in images:  # per image, predictions ordered by score as NMS outputs them
        n = len(im["pred_cls"])
        c = confs[k:k + n]
        k += n
        order = np.argsort(-c, kind="stable")
        im["pred_conf"], im["pred_boxes"], im["pred_cls"] = c[order], im["pred_boxes"][order], im["pred_cls"][order]
    return images


def no_iou_ties(images):
    for im in images:
        if len(im["gt_cls"]) and len(im["pred_cls"]):
            iou = box_iou(torch.tensor(im["gt_boxes"]), torch.tensor(im["pred_boxes"])).numpy()
            for line in list(iou) + list(iou.T):  # only ties sharing a label or a prediction matter
                hi = line[line >= 0.45]
                if len(np.unique(hi)) != len(hi):
                    return False
    return True


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def metrics_case(name, seed, nc, n_img, gt_classes, fp_classes, curves=False, **kw):
    rng = np.random.default_rng(seed)
    while True:
        images = make_images(rng, nc, n_img, gt_classes, fp_classes, **kw)
        if no_iou_ties(images):
            break
    names = {i: f"class{i}" for i in range(nc)}
    v = validator(nc, names)
    cm = ConfusionMatrix(names=list(names.values()))
    out_images = []
    for im in images:
        v.seen += 1
        pred = {"bboxes": torch.tensor(im["pred_boxes"]), "conf": torch.tensor(im["pred_conf"]),
                "cls": torch.tensor(im["pred_cls"], dtype=torch.float32)}
        gt = {"bboxes": torch.tensor(im["gt_boxes"]), "cls": torch.tensor(im["gt_cls"], dtype=torch.float32)}
        tp = v._process_batch(pred, gt)["tp"]
        cls = gt["cls"].numpy()
        no_pred = len(pred["cls"]) == 0
        v.metrics.update_stats({"tp": tp, "target_cls": cls, "target_img": np.unique(cls),
                                "conf": np.zeros(0) if no_pred else pred["conf"].numpy(),
                                "pred_cls": np.zeros(0) if no_pred else pred["cls"].numpy()})
        cm.process_batch(pred, gt, conf=0.001)
        out_images.append(dict(pred_boxes=fl(im["pred_boxes"]), pred_conf=fl(im["pred_conf"]),
                               pred_cls=im["pred_cls"].tolist(), gt_boxes=fl(im["gt_boxes"]),
                               gt_cls=im["gt_cls"].tolist(), tp=tp.astype(int).tolist()))
    stats = {k: np.concatenate(x, 0) for k, x in v.metrics.stats.items()}
    apc = __import__("ultralytics.utils.metrics", fromlist=["ap_per_class"]).ap_per_class(
        stats["tp"], stats["conf"], stats["pred_cls"], stats["target_cls"])
    v.metrics.process()
    cap = Capture()
    LOGGER.addHandler(cap)
    v.print_results()
    LOGGER.removeHandler(cap)
    box = v.metrics.box
    res = dict(
        name=name, nc=nc, names=list(names.values()), images=out_images,
        ap_class_index=[int(c) for c in box.ap_class_index], p=list(map(float, box.p)), r=list(map(float, box.r)),
        f1=list(map(float, box.f1)), all_ap=np.asarray(box.all_ap, float).tolist(),
        ap50=list(map(float, box.ap50)), ap=list(map(float, box.ap)), tp=list(map(float, apc[0])),
        fp=list(map(float, apc[1])), mp=float(box.mp), mr=float(box.mr), map50=float(box.map50),
        map75=float(box.map75), map=float(box.map), fitness=float(v.metrics.fitness),
        maps=list(map(float, v.metrics.maps)), nt_per_class=v.metrics.nt_per_class.tolist(),
        nt_per_image=v.metrics.nt_per_image.tolist(), confusion=cm.matrix.tolist(), table=cap.lines,
        header=v.get_desc())
    if curves:
        step = 7
        f1m = box.f1_curve.mean(0) if len(box.f1_curve) else np.zeros(1000)
        res["curves"] = dict(step=step, px=list(map(float, box.px[::step])),
                             p_curve=box.p_curve[:, ::step].tolist(), r_curve=box.r_curve[:, ::step].tolist(),
                             f1_curve=box.f1_curve[:, ::step].tolist(),
                             prec_values=np.asarray(box.prec_values)[:, ::step].tolist(),
                             max_f1_index=int(smooth(f1m, 0.1).argmax()))
    return res


def nms_case(name, seed, B, nc, A, conf, iou, multi_label, agnostic, max_det, max_nms=30000, distinct=False,
             empty=False, half=False):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(B, 2, A, generator=g) * 480 + 80
    wh = torch.rand(B, 2, A, generator=g) * 150 + 4
    # Cluster anchors so boxes overlap: snap centers to a coarse grid half of the time.
    snap = torch.rand(B, 1, A, generator=g) < 0.5
    xy = torch.where(snap, (xy / 60).round() * 60 + torch.rand(B, 2, A, generator=g) * 6, xy)
    box = torch.round(torch.cat([xy, wh], 1) * 16) / 16
    if distinct:
        vals = torch.randperm(B * nc * A, generator=g)[: B * nc * A].float() + 1
        scores = (vals / (B * nc * A + 1)).reshape(B, nc, A)
        scores = torch.round(scores * 65536) / 65536
    else:
        scores = torch.randint(0, 1024, (B, nc, A), generator=g).float() / 1024  # many ties
        scores = torch.where(torch.rand(B, nc, A, generator=g) < 0.6, scores * 0.3, scores)
    if empty:
        scores = scores * 0 + conf / 2
    pred = torch.cat([box, scores], 1).float()
    if half:
        pred = pred.half()
        # keep scores away from the f16 rounding of conf so the f32/f16 comparisons agree
        s = pred[:, 4:].float()
        s = torch.where((s - conf).abs() < 2e-3, s + 4e-3, s)
        pred[:, 4:] = s.half()
    out = ops.non_max_suppression(pred.clone(), conf, iou, multi_label=multi_label, agnostic=agnostic,
                                  max_det=max_det, max_nms=max_nms)
    return dict(name=name, B=B, nc=nc, A=A, conf=conf, iou=iou, multi_label=multi_label, agnostic=agnostic,
                max_det=max_det, max_nms=max_nms, dtype="f16" if half else "f32",
                preds=[float(v) for v in pred.float().reshape(-1)],
                out=[o.float().reshape(-1).tolist() for o in out])


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = [
        metrics_case("random", 1, 6, 40, [0, 1, 2, 3, 4], [0, 1, 2, 5], curves=True),
        metrics_case("dense", 2, 3, 14, [0, 1, 2], [0, 1, 2], dense=True, max_gt=12),
        metrics_case("perfect", 3, 4, 12, [0, 1, 2, 3], [0], perfect=True),
        metrics_case("single_class", 4, 1, 20, [0], [0]),
        metrics_case("few", 5, 5, 6, [1, 3], [0, 1, 2, 3, 4], max_gt=3),
    ]
    with open(os.path.join(OUT, "metrics_cases.json"), "w") as f:
        json.dump(cases, f)
    y = np.random.default_rng(7).random(1000)
    y[300:420] = 0.5  # a plateau
    with open(os.path.join(OUT, "smooth.json"), "w") as f:
        json.dump(dict(y=y.tolist(), f=0.1, out=smooth(y, 0.1).tolist(),
                       y_short=y[:37].tolist(), out_short=smooth(y[:37], 0.1).tolist()), f)
    nms = [
        nms_case("val_default", 11, 2, 4, 160, 0.001, 0.7, True, False, 300),
        nms_case("predict_single", 12, 2, 4, 160, 0.25, 0.45, False, False, 300),
        nms_case("agnostic", 13, 2, 3, 160, 0.1, 0.5, True, True, 300),
        nms_case("max_det", 14, 2, 4, 160, 0.05, 0.6, True, False, 7),
        nms_case("max_nms", 15, 2, 4, 160, 0.05, 0.6, True, False, 300, max_nms=40, distinct=True),
        nms_case("nc1", 16, 2, 1, 160, 0.2, 0.5, True, False, 300),
        nms_case("empty", 17, 2, 3, 50, 0.3, 0.5, True, False, 300, empty=True),
        nms_case("f16", 18, 2, 3, 160, 0.001, 0.7, True, False, 300, half=True),
    ]
    with open(os.path.join(OUT, "nms_cases.json"), "w") as f:
        json.dump(nms, f)
    for fn in os.listdir(OUT):
        print(fn, os.path.getsize(os.path.join(OUT, fn)))


if __name__ == "__main__":
    main()
