# Generates goldens for the optimizer step: torch.optim.SGD (momentum, Nesterov, per-group weight decay)
# and torch.optim.AdamW over three parameter groups, with clip_grad_norm_(max_norm=10) before each
# step, as the reference trainer does. Run with the parity venv: python tests/parity/gen_optim.py
import json, os
import torch

torch.manual_seed(7)
out_dir = os.path.join(os.path.dirname(__file__), "goldens", "optim")
os.makedirs(out_dir, exist_ok=True)

sizes = [5, 7, 3]
groups_cfg = [dict(lr=0.01, wd=0.0), dict(lr=0.02, wd=5e-4), dict(lr=0.005, wd=0.0)]
init = [torch.randn(n) for n in sizes]
grads = [[torch.randn(n) * (4.0 if step == 1 else 1.0) for n in sizes] for step in range(3)]


def run(kind):
    params = [p.clone().requires_grad_(True) for p in init]
    groups = [dict(params=[p], lr=c["lr"], weight_decay=c["wd"]) for p, c in zip(params, groups_cfg)]
    if kind == "sgd":
        opt = torch.optim.SGD(groups, lr=0.01, momentum=0.9, nesterov=True)
    else:
        opt = torch.optim.AdamW(groups, lr=0.001, betas=(0.937, 0.999), weight_decay=0.0)
    history = []
    for step in range(3):
        for p, g in zip(params, grads[step]):
            p.grad = g.clone()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm=10.0)
        opt.step()
        history.append(dict(norm=float(norm), params=[p.detach().tolist() for p in params]))
    return history


golden = dict(sizes=sizes, groups=groups_cfg, init=[p.tolist() for p in init],
              grads=[[g.tolist() for g in step] for step in grads], sgd=run("sgd"), adamw=run("adamw"))
with open(os.path.join(out_dir, "optim_steps.json"), "w") as f:
    json.dump(golden, f)
print("wrote", os.path.join(out_dir, "optim_steps.json"))
