#!/usr/bin/env python3
# Builds a larger YOLO-format dataset from a small one for end-to-end training benchmarks: every train
# image and its label are linked K times under new names (images/train/<k>_<name>), the val split is
# linked once, and a dataset YAML with the source's class names is written next to them.
# Usage: replicate_dataset.py SRC_YAML DST_DIR COPIES
import pathlib
import sys

import yaml


def link_split(src_root, dst_root, split_dir, copies):
    images = sorted(p for p in (src_root / split_dir).iterdir() if p.is_file())
    labels_src = src_root / split_dir.replace("images", "labels", 1)
    (dst_root / split_dir).mkdir(parents=True, exist_ok=True)
    (dst_root / split_dir.replace("images", "labels", 1)).mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        for img in images:
            name = f"{k}_{img.name}" if copies > 1 else img.name
            (dst_root / split_dir / name).symlink_to(img.resolve())
            label = labels_src / (img.stem + ".txt")
            if label.exists():
                (dst_root / split_dir.replace("images", "labels", 1) / (pathlib.Path(name).stem + ".txt")).symlink_to(
                    label.resolve())
    return len(images) * copies


def main():
    src_yaml, dst, copies = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
    cfg = yaml.safe_load(src_yaml.read_text())
    src_root = (src_yaml.parent / cfg.get("path", ".")).resolve()
    dst.mkdir(parents=True, exist_ok=False)
    n_train = link_split(src_root, dst, cfg["train"], copies)
    n_val = link_split(src_root, dst, cfg["val"], 1)
    out = {"path": str(dst.resolve()), "train": cfg["train"], "val": cfg["val"], "nc": cfg["nc"], "names": cfg["names"]}
    (dst / "data.yaml").write_text(yaml.safe_dump(out, sort_keys=False))
    print(f"{dst / 'data.yaml'}: {n_train} train images ({copies} x), {n_val} val images")


if __name__ == "__main__":
    main()
