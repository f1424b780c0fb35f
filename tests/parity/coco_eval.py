# Scores a predictions JSON against a COCO-format GT JSON with pycocotools and prints the 12 COCOeval
# stats as one JSON line (stats[0] = AP50-95, stats[1] = AP50). Used by tests/metrics (COCO JSON test)
# with the parity venv: `$(scripts/setup_parity_env.sh) tests/parity/coco_eval.py gt.json pred.json`.
import contextlib
import io
import json
import sys

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def main(gt_path, pred_path):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(pred_path)
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    print(json.dumps([float(s) for s in ev.stats]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
