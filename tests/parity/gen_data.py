# Generates goldens for the HSV augmentation: the reference's own RandomHSV (ultralytics 8.3.166, i.e.
# OpenCV's 8-bit BGR<->HSV through cv2.cvtColor and its LUTs) on one 64x64 image, for ten drawn gain
# triples. Writes goldens/data/hsv_input.rgb (raw RGB bytes), hsv_<k>.rgb (the result) and hsv.json
# (size, the drawn gains). Run with the parity venv: python tests/parity/gen_data.py
import json, os
import numpy as np
from ultralytics.data.augment import RandomHSV

out_dir = os.path.join(os.path.dirname(__file__), "goldens", "data")
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(20261207)
h = w = 64
rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
# Rows of ties and extremes: grays, two equal channels, saturated primaries, near-black, near-white.
rgb[0] = rng.integers(0, 256, (w, 1), dtype=np.uint8)
rgb[1, :, 1] = rgb[1, :, 0]
rgb[2, :, 2] = rgb[2, :, 1]
rgb[3, :, 0] = rgb[3, :, 2]
rgb[4] = np.where(rng.random((w, 3)) < 0.5, 0, 255)
rgb[5] = rng.integers(0, 8, (w, 3))
rgb[6] = rng.integers(248, 256, (w, 3))
rgb.tofile(os.path.join(out_dir, "hsv_input.rgb"))

cases = []
settings = [(0.015, 0.7, 0.4)] * 8 + [(0.5, 1.0, 1.0)] * 2
for k, (hg, sg, vg) in enumerate(settings):
    np.random.seed(1000 + k)
    gains = (np.random.uniform(-1, 1, 3) * [hg, sg, vg]).tolist()
    np.random.seed(1000 + k)
    labels = {"img": np.ascontiguousarray(rgb[..., ::-1])}  # the reference's images are BGR
    RandomHSV(hgain=hg, sgain=sg, vgain=vg)(labels)
    np.ascontiguousarray(labels["img"][..., ::-1]).tofile(os.path.join(out_dir, f"hsv_{k}.rgb"))
    cases.append(dict(file=f"hsv_{k}.rgb", gain_h=gains[0], gain_s=gains[1], gain_v=gains[2]))
with open(os.path.join(out_dir, "hsv.json"), "w") as f:
    json.dump(dict(height=h, width=w, input="hsv_input.rgb", cases=cases), f, indent=1)
print("wrote", len(cases), "HSV cases to", out_dir)
