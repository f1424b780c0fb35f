# Writes the layer goldens (tests/parity/goldens/layers/*.safetensors) from the reference's own modules
# (ultralytics 8.3.166, CPU, f32): Conv, C2f, C3k2 (c3k on), SPPF, C2PSA and Detect (legacy YOLOv8 and
# YOLO11 designs). Per case: the state dict ("sd.*", conv weights converted to our (O, kh, kw, I) layout,
# values rounded to f16 and stored as F16), the NHWC input(s), the eval-mode output, the train-mode
# output, the gradients of sum(out * w) w.r.t. the input(s) and some parameters, and the running stats
# after the train step. Run: `$(scripts/setup_parity_env.sh) tests/parity/gen_layers.py`.
import json
import math
import os

import torch
from safetensors.torch import save_file
from ultralytics.nn.modules import C2PSA, C2f, C3k2, SPPF, Conv, Detect

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens", "layers")


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous() if t.dim() == 4 else t.contiguous()


def ours(name, t):
    """Conv weights OIHW -> (O, kh, kw, I); everything else unchanged."""
    return t.permute(0, 2, 3, 1).contiguous() if t.dim() == 4 else t.contiguous()


def f16_round(t):
    return t.half().float()


def prepare(m, seed):
    """Default init from the reference, BN eps/momentum as initialize_weights, BN stats randomised,
    every float tensor rounded to f16 so it is stored exactly."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.eps, mod.momentum = 1e-3, 0.03
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=g) + 0.5)
                mod.bias.copy_(torch.rand(mod.bias.shape, generator=g) - 0.5)
                mod.running_mean.copy_((torch.rand(mod.running_mean.shape, generator=g) - 0.5) * 0.4)
                mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=g) * 1.5 + 0.5)
        for p in m.state_dict().values():
            if p.is_floating_point():
                p.copy_(f16_round(p))


def run_case(name, m, xs, grad_params, seed=0):
    torch.manual_seed(seed)
    prepare(m, seed + 1)
    g = torch.Generator().manual_seed(seed + 2)
    xs = [f16_round(torch.rand(s, generator=g) * 4 - 2) for s in xs]
    out = {}
    for k, v in m.state_dict().items():
        out["sd." + k] = ours(k, v).half() if v.is_floating_point() else v.to(torch.int32)
    for i, x in enumerate(xs):
        out[f"x{i}"] = nhwc(x).half()
    multi = isinstance(m, Detect)
    m.eval()
    with torch.no_grad():
        y = m(list(xs)) if multi else m(xs[0])
    if multi:
        out["eval.y"] = y[0].contiguous()  # (B, 4+nc, A)
    else:
        out["eval.y"] = nhwc(y)
    m.train()
    xg = [x.clone().requires_grad_(True) for x in xs]
    y = m(list(xg)) if multi else m(xg[0])
    ys = y if multi else [y]
    loss = 0
    for i, t in enumerate(ys):
        w = f16_round(torch.rand(t.shape, generator=g) * 2 - 1)
        out[f"w{i}"] = nhwc(w).half()
        out[f"train.y{i}"] = nhwc(t.detach())
        loss = loss + (t * w).sum()
    loss.backward()
    for i, x in enumerate(xg):
        out[f"grad.x{i}"] = nhwc(x.grad)
    params = dict(m.named_parameters())
    for p in grad_params:
        out["grad." + p] = ours(p, params[p].grad)
    for k, v in m.state_dict().items():
        if "running_" in k:
            out["after." + k] = v.clone()
    save_file(out, os.path.join(OUT, name + ".safetensors"))
    return {k: "x".join(map(str, v.shape)) for k, v in out.items() if not k.startswith("sd.")}


def detect_case(name, legacy):
    Detect.legacy = legacy
    d = Detect(nc=3, ch=(16, 32))
    d.stride = torch.tensor([8.0, 16.0])
    d.bias_init()
    bias = {f"bias_init.{k}": v.clone() for k, v in d.state_dict().items() if k.endswith(".2.bias")}
    info = run_case(name, d, [(2, 16, 6, 5), (2, 32, 3, 3)],
                    ["cv2.0.0.conv.weight", "cv3.1.2.weight", "cv3.0.2.bias", "cv2.1.1.bn.weight"])
    # bias_init values in a separate small file (the main one holds randomised state).
    save_file(bias, os.path.join(OUT, name + "_bias_init.safetensors"))
    Detect.legacy = False
    return info


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {}
    manifest["conv"] = run_case("conv", Conv(5, 8, 3, 2), [(2, 5, 9, 11)], ["conv.weight", "bn.weight", "bn.bias"])
    manifest["c2f"] = run_case("c2f", C2f(12, 16, 2, True), [(2, 12, 7, 6)],
                               ["cv1.conv.weight", "m.1.cv2.conv.weight", "cv2.bn.bias"])
    manifest["c3k2"] = run_case("c3k2", C3k2(16, 16, 1, True), [(2, 16, 6, 5)],
                                ["cv1.conv.weight", "m.0.m.1.cv1.conv.weight", "m.0.cv3.conv.weight"])
    manifest["sppf"] = run_case("sppf", SPPF(16, 12, 5), [(2, 16, 7, 7)], ["cv1.conv.weight", "cv2.conv.weight"])
    manifest["c2psa"] = run_case("c2psa", C2PSA(128, 128, 1), [(2, 128, 4, 3)],
                                 ["cv1.conv.weight", "m.0.attn.qkv.conv.weight", "m.0.attn.pe.conv.weight",
                                  "m.0.ffn.1.bn.weight"])
    manifest["detect_v8"] = detect_case("detect_v8", True)
    manifest["detect_v11"] = detect_case("detect_v11", False)
    with open(os.path.join(OUT, "README.json"), "w") as f:
        json.dump({"generator": "tests/parity/gen_layers.py", "reference": "ultralytics 8.3.166",
                   "cases": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
