#!/usr/bin/env python3
# Summary of the distributed GPU measurements that scripts/gpu_ddp_suite.sh leaves in a folder:
# scaling efficiency of bench_ddp_step (img/s on N GPUs over N x img/s on 1), the reference's torch
# DDP step beside it (bench/peer/torch_ddp_train_step.py), and our all-reduce's bus bandwidth against
# raw NCCL (bench_allreduce). Standard library only. Usage: scripts/ddp_scaling.py <folder>
import json
import os
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def bench_rows(folder, prefix):
    """{N: [benchmark rows]} from <prefix>_r<N>_rank0.json (Google Benchmark JSON)."""
    out = {}
    for name in os.listdir(folder):
        m = re.fullmatch(prefix + r"_r(\d+)_rank0\.json", name)
        if m and (d := load(os.path.join(folder, name))):
            out[int(m.group(1))] = [b for b in d.get("benchmarks", []) if "error_message" not in b]
    return out


def case_of(name):
    # ddp_step/yolov8s/f16/b32/ranks2[/syncbn]/iterations:5/manual_time -> (yolov8s, 32, syncbn?)
    p = name.split("/")
    return p[1], int(p[3][1:]), "syncbn" in p


def main(folder):
    steps = bench_rows(folder, "ddp_step")
    peer = {}
    for name in os.listdir(folder):
        m = re.fullmatch(r"peer_ddp_r(\d+)\.json", name)
        if m and (d := load(os.path.join(folder, name))):
            for r in d["rows"]:
                peer[(r["model"], r["batch_per_gpu"], int(m.group(1)))] = r["images_per_s_per_gpu"]
    if steps:
        print("ddp step (ours): model batch/GPU SyncBN | GPUs img/s/GPU img/s efficiency exposed_comm_ms"
              " backward_ms | reference img/s/GPU, ours/reference")
        base = {case_of(b["name"]): b["img/s/GPU"] for b in steps.get(1, [])}
        for n in sorted(steps):
            for b in steps[n]:
                c = case_of(b["name"])
                eff = b["img/s/GPU"] / base[c] if base.get(c) else float("nan")
                ref = peer.get((c[0], c[1], n))
                ratio = f"{ref:8.1f} {b['img/s/GPU'] / ref:5.2f}x" if ref else "       -     -"
                print(f"{c[0]:8s} {c[1]:3d} {'yes' if c[2] else 'no ':3s} | {n} {b['img/s/GPU']:8.1f} {b['img/s']:9.1f}"
                      f" {eff:7.1%} {b.get('exposed_comm_ms', 0):7.2f} {b.get('backward_ms', 0):7.2f} | {ratio}")
    elif peer:
        for k, v in sorted(peer.items()):
            print(f"reference {k[0]} batch/GPU {k[1]} on {k[2]} GPU(s): {v:.1f} img/s/GPU")
    ar = bench_rows(folder, "allreduce")
    if ar:
        print("\nall-reduce bus bandwidth (GB/s): dtype size GPUs | ours nccl ours/nccl")
        for n in sorted(ar):
            rows = {}
            for b in ar[n]:
                p = b["name"].split("/")
                bus = 2 * (n - 1) / n if n > 1 else 1
                rows.setdefault((p[2], p[4]), {})[p[1]] = b.get("algbw_GB/s", 0) * bus
            for (dt, size), v in sorted(rows.items()):
                if "ours" in v and "nccl" in v and v["nccl"] > 0:
                    print(f"{dt:4s} {size:10s} {n} | {v['ours']:7.1f} {v['nccl']:7.1f} {v['ours'] / v['nccl']:6.1%}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
