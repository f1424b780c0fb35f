# Writes the model goldens into tests/parity/goldens/models/ from the reference (ultralytics 8.3.166):
# counts / GFLOPs / layer tables, state-dict name tables, forward sets (weights + eval / train outputs)
# of yolov8n / yolo11n (stored weights) and yolov8s / yolo11s (conv weights from a formula), and with
# `live DIR` the live parity sets of the four models with the reference's own seeded initialisation.
# Run: $(scripts/setup_parity_env.sh) tests/parity/gen_models.py [all|formula|live DIR]
# The format of every file is described in tests/parity/README.md.
import copy
import io
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

import ultralytics
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import get_flops, get_num_gradients, get_num_params

OUT = Path(__file__).resolve().parent / "goldens" / "models"
SEED = 20250713
FORWARD_NC = 3
INPUT_SHAPE = (2, 3, 96, 128)


def leaf_count(model):
    return sum(1 for _, m in model.named_modules() if len(m._modules) == 0)


def build(name, nc, verbose=False):
    return DetectionModel(f"{name}.yaml", nc=nc, verbose=verbose)


def build_with_table(name, nc):
    """Builds the model and captures the layer table parse_model prints."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(handler)
    try:
        model = build(name, nc, verbose=True)
    finally:
        LOGGER.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().startswith("from") and "arguments" in l)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i][:3].strip().isdigit())
    return model, "\n".join(lines[start:end]) + "\n"


def stats(name, nc=80, with_table=False):
    if with_table:
        model, table = build_with_table(name, nc)
    else:
        model, table = build(name, nc), None
    im = torch.empty((1, 3, 32, 32))
    import thop

    fused = copy.deepcopy(model).fuse(verbose=False)
    r = {
        "model": name,
        "nc": nc,
        "parameters": get_num_params(model),
        "gradients": get_num_gradients(model),
        "layers": leaf_count(model),
        "gflops_640": get_flops(model, 640),
        "macs_32": thop.profile(copy.deepcopy(model), inputs=[im], verbose=False)[0],
        "fused_parameters": get_num_params(fused),
        "fused_gradients": get_num_gradients(fused),
        "fused_layers": leaf_count(fused),
        "fused_gflops_640": get_flops(fused, 640),
        "fused_macs_32": thop.profile(copy.deepcopy(fused), inputs=[im], verbose=False)[0],
        "gflops_320": get_flops(model, 320),
        "per_layer_params": [int(m.np) for m in model.model],
        "state_entries": len(model.state_dict()),
    }
    if table is not None:
        r["table"] = table
    return r


def name_table(name, nc=80):
    model = build(name, nc)
    params = dict(model.named_parameters())
    entries = []
    for k, v in model.state_dict().items():
        if k in params:
            kind = "param" if params[k].requires_grad else "frozen"
        else:
            kind = "int_buffer" if not v.is_floating_point() else "buffer"
        entries.append([k, list(v.shape), kind])
    return {"model": name, "nc": nc, "entries": entries}


def f16_exact_perturbed(model, gen):
    """Gives BN random affine values and running statistics calibrated on random images, then perturbed
    (so eval outputs depend on the input and BN is exercised), and rounds every float tensor through f16."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            m.weight.copy_(0.6 + 0.8 * torch.rand(c, generator=gen))
            m.bias.copy_(0.2 * (torch.rand(c, generator=gen) - 0.5))
            m.momentum = None  # cumulative average over the calibration batches
            m.reset_running_stats()
        model.train()
        for _ in range(2):
            model(torch.rand((4, *INPUT_SHAPE[1:]), generator=gen))
        for m in bns:
            c = m.num_features
            m.momentum = 0.03
            m.num_batches_tracked.zero_()
            m.running_mean.add_(0.1 * m.running_var.sqrt() * (torch.rand(c, generator=gen) - 0.5))
            m.running_var.mul_(0.8 + 0.45 * torch.rand(c, generator=gen))
        for t in list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]:
            t.copy_(t.half().float())


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def formula_weight(name, shape):
    """Conv weight `name` (OIHW) of the formula-v1 generator (the C++ tests compute the same values):
    element i is m * 2^-(10+k) with m = splitmix64(fnv1a64(name) + i) >> 40 mod 2049 - 1024 and k the
    smallest integer with 4^k >= fan_in (so |w| <= 1/sqrt(fan_in)); every value is exact in f16."""
    n = int(np.prod(shape))
    fan_in = int(np.prod(shape[1:]))
    k = 0
    while 4**k < fan_in:
        k += 1
    with np.errstate(over="ignore"):
        z = np.arange(n, dtype=np.uint64) + np.uint64(fnv1a64(name.encode()))
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    m = ((z >> np.uint64(40)) % np.uint64(2049)).astype(np.int64) - 1024
    return torch.from_numpy((m.astype(np.float64) * 2.0 ** -(10 + k)).astype(np.float32)).reshape(shape)


def formula_generated(name, v):
    """Which state-dict entries the formula generates: every 4-D float tensor except the fixed DFL conv."""
    return v.is_floating_point() and v.dim() == 4 and ".dfl." not in name


def write_forward_set(model, x, prefix, weights, meta):
    """Saves `weights` as <prefix>_<kind>.safetensors and the eval / train outputs for input x as <prefix>_io."""
    kind = "stored" if meta.get("generated") else "weights"
    save_file(weights, str(prefix.parent / f"{prefix.name}_{kind}.safetensors"), metadata=meta)
    io_t = {"input": x.contiguous()}
    model.eval()
    with torch.no_grad():
        pred, raw = model(x)
    io_t["eval_pred"] = pred.float().contiguous()
    for i, r in enumerate(raw):
        io_t[f"eval_head_{i}"] = r.float().contiguous()
    train_model = copy.deepcopy(model).train()
    with torch.no_grad():
        heads = train_model(x)
    for i, r in enumerate(heads):
        io_t[f"train_head_{i}"] = r.float().contiguous()
    bn = train_model.model[0].bn
    io_t["train_model.0.bn.running_mean"] = bn.running_mean.float().contiguous()
    io_t["train_model.0.bn.running_var"] = bn.running_var.float().contiguous()
    save_file(io_t, str(prefix.parent / f"{prefix.name}_io.safetensors"), metadata=meta)


def base_meta(name, nc):
    return {"model": name, "nc": str(nc), "seed": str(SEED), "ultralytics": ultralytics.__version__,
            "layout": "OIHW"}


def forward_golden(name):
    """yolov8n / yolo11n at nc=3: torch's seeded init, BN randomised and calibrated, all weights stored."""
    torch.manual_seed(SEED)
    model = build(name, FORWARD_NC)
    gen = torch.Generator().manual_seed(SEED + 1)
    f16_exact_perturbed(model, gen)
    x = torch.rand(INPUT_SHAPE, generator=gen).half().float()
    weights = {k: v.half() for k, v in model.state_dict().items() if v.is_floating_point()}
    meta = base_meta(name, FORWARD_NC) | {"note": "weights are exact in f16; num_batches_tracked omitted"}
    write_forward_set(model, x, OUT / f"{name}_nc{FORWARD_NC}", weights, meta)


def formula_golden(name, nc=80):
    """yolov8s / yolo11s at nc=80: conv weights from formula_weight (not stored), BN randomised and
    calibrated as forward_golden; every other tensor stored in f16 (exact)."""
    torch.manual_seed(SEED)
    model = build(name, nc)
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if formula_generated(k, v):
                v.copy_(formula_weight(k, tuple(v.shape)))
    gen = torch.Generator().manual_seed(SEED + 2)
    f16_exact_perturbed(model, gen)
    x = torch.rand(INPUT_SHAPE, generator=gen).half().float()
    stored = {k: v.half() for k, v in model.state_dict().items() if v.is_floating_point() and not formula_generated(k, v)}
    meta = base_meta(name, nc) | {"generated": "formula-v1",
                                  "note": "4-D conv weights (not the DFL) come from formula-v1; the rest is stored, exact in f16"}
    write_forward_set(model, x, OUT / f"{name}_nc{nc}", stored, meta)


def live_set(name, out_dir, nc=80):
    """The reference's own seeded initialisation (f32, unrounded) with BN running statistics from a
    calibration pass on random images: what the live parity test compares against."""
    torch.manual_seed(SEED)
    model = build(name, nc)
    gen = torch.Generator().manual_seed(SEED + 3)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.momentum = None
        model.train()
        model(torch.rand((4, *INPUT_SHAPE[1:]), generator=gen))
        for m in bns:
            m.momentum = 0.03
            m.num_batches_tracked.zero_()
    x = torch.rand(INPUT_SHAPE, generator=gen)
    weights = {k: v.float().contiguous() for k, v in model.state_dict().items() if v.is_floating_point()}
    meta = base_meta(name, nc) | {"note": "the reference's own init, f32; BN statistics of one random batch"}
    write_forward_set(model, x, out_dir / f"{name}_nc{nc}", weights, meta)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "all"
    if mode == "live":
        out_dir = Path(sys.argv[2])
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in ("yolov8n", "yolov8s", "yolo11n", "yolo11s"):
            live_set(name, out_dir)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if mode in ("all", "formula"):
        for name in ("yolov8s", "yolo11s"):
            formula_golden(name)
    if mode == "formula":
        return
    table_models = {"yolov8s", "yolo11m"}
    all_stats = {}
    for fam in ("yolov8", "yolo11"):
        for s in "nsmlx":
            name = fam + s
            all_stats[name] = stats(name, 80, with_table=name in table_models)
            print(name, all_stats[name]["parameters"], all_stats[name]["gflops_640"], file=sys.stderr)
    # nc equal to a YAML channel count: the reference then skips width scaling for that row.
    all_stats["yolov8n_nc256"] = stats("yolov8n", 256)
    all_stats["yolo11n_nc3"] = stats("yolo11n", 3)
    all_stats["yolov8n_nc3"] = stats("yolov8n", 3)
    (OUT / "model_stats.json").write_text(json.dumps(all_stats, indent=1) + "\n")
    for name in ("yolov8n", "yolov8s", "yolo11n", "yolo11s"):
        (OUT / f"names_{name}.json").write_text(json.dumps(name_table(name)) + "\n")
    for name in ("yolov8n", "yolo11n"):
        forward_golden(name)


if __name__ == "__main__":
    main()
