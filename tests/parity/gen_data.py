# Generates goldens for the augmentation pixel ops: the reference's own RandomHSV (ultralytics 8.3.166,
# i.e. OpenCV's 8-bit BGR<->HSV through cv2.cvtColor and its LUTs) on one 64x64 image for ten drawn gain
# triples (hsv_input.rgb, hsv_<k>.rgb, hsv.json), and cv2.warpAffine as random_perspective calls it
# (bilinear, border 114) from a 96x80 image for axis-aligned and rotated matrices (warp_input.rgb,
# warp_<k>.rgb, warp.json), and cv2.resize with INTER_LINEAR, as load_image and LetterBox call it, of
# the same image to six sizes up and down (resize_<k>.rgb, resize.json); cv2.warpPerspective as
# random_perspective calls it when perspective > 0 (perspective_<k>.rgb, perspective.json); and cv2.imread of the coco8
# images as FNV-1a 64 hashes of their RGB bytes (decode.json). Raw RGB bytes, row-major. Run with the parity venv: python tests/parity/gen_data.py
import json, os
import cv2
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

# warpAffine: the reference passes the forward 2x3 matrix and dsize, borderValue (114, 114, 114).
sh, sw = 80, 96
src = rng.integers(0, 256, (sh, sw, 3), dtype=np.uint8)
src.tofile(os.path.join(out_dir, "warp_input.rgb"))
warps = []
for k in range(8):
    s = rng.uniform(0.4, 1.6)
    tx, ty = rng.uniform(-60, 60, 2)
    a = rng.uniform(-0.6, 0.6) if k >= 5 else 0.0
    M = np.array([[s * np.cos(a), -s * np.sin(a), tx], [s * np.sin(a), s * np.cos(a), ty]])
    out = cv2.warpAffine(np.ascontiguousarray(src[..., ::-1]), M, dsize=(w, h), borderValue=(114, 114, 114))
    np.ascontiguousarray(out[..., ::-1]).tofile(os.path.join(out_dir, f"warp_{k}.rgb"))
    warps.append(dict(file=f"warp_{k}.rgb", matrix=M.reshape(-1).tolist(), axis_aligned=bool(a == 0.0)))
with open(os.path.join(out_dir, "warp.json"), "w") as f:
    json.dump(dict(src_height=sh, src_width=sw, height=h, width=w, input="warp_input.rgb", cases=warps), f, indent=1)
print("wrote", len(warps), "warp cases")

# resize: cv2.resize(im, (w, h), interpolation=cv2.INTER_LINEAR).
sizes = [(64, 77), (40, 48), (53, 31), (120, 144), (97, 160), (81, 95)]
resizes = []
for k, (rh, rw) in enumerate(sizes):
    out = cv2.resize(np.ascontiguousarray(src[..., ::-1]), (rw, rh), interpolation=cv2.INTER_LINEAR)
    np.ascontiguousarray(out[..., ::-1]).tofile(os.path.join(out_dir, f"resize_{k}.rgb"))
    resizes.append(dict(file=f"resize_{k}.rgb", height=rh, width=rw))
with open(os.path.join(out_dir, "resize.json"), "w") as f:
    json.dump(dict(src_height=sh, src_width=sw, input="warp_input.rgb", cases=resizes), f, indent=1)
print("wrote", len(resizes), "resize cases")

# warpPerspective: forward 3x3 homographies (translation x scale x perspective), border 114.
persp = []
for k in range(3):
    P = np.eye(3)
    P[2, 0], P[2, 1] = rng.uniform(-0.004, 0.004, 2)
    S = np.diag([rng.uniform(0.5, 1.4)] * 2 + [1.0])
    T = np.eye(3)
    T[0, 2], T[1, 2] = rng.uniform(-20, 20, 2)
    M = T @ S @ P
    out = cv2.warpPerspective(np.ascontiguousarray(src[..., ::-1]), M, dsize=(w, h), borderValue=(114, 114, 114))
    np.ascontiguousarray(out[..., ::-1]).tofile(os.path.join(out_dir, f"perspective_{k}.rgb"))
    persp.append(dict(file=f"perspective_{k}.rgb", matrix=M.reshape(-1).tolist()))
with open(os.path.join(out_dir, "perspective.json"), "w") as f:
    json.dump(dict(src_height=sh, src_width=sw, height=h, width=w, input="warp_input.rgb", cases=persp), f, indent=1)
print("wrote", len(persp), "perspective cases")


# decode: cv2.imread (BGR) of every coco8 image, as RGB bytes hashed with FNV-1a 64.
def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


coco8 = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "datasets", "coco8", "images")
decoded = []
for split in ("train", "val"):
    for name in sorted(os.listdir(os.path.join(coco8, split))):
        im = cv2.imread(os.path.join(coco8, split, name))
        rgb = np.ascontiguousarray(im[..., ::-1])
        decoded.append(dict(image=f"{split}/{name}", height=rgb.shape[0], width=rgb.shape[1],
                            fnv1a64=f"{fnv1a64(rgb.tobytes()):016x}"))
with open(os.path.join(out_dir, "decode.json"), "w") as f:
    json.dump(dict(dataset="shared/datasets/coco8/images", images=decoded), f, indent=1)
print("hashed", len(decoded), "decoded images")
