# Reads the TensorBoard event files of a folder with TensorBoard's own EventAccumulator and prints
# their scalars and images as JSON; used by tests/run/test_tensorboard.cpp to check our writer.
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
acc.Reload()
tags = acc.Tags()
out = {"scalars": {}, "images": {}, "file_version": acc.file_version}
for tag in tags.get("scalars", []):
    out["scalars"][tag] = [[e.step, e.value, e.wall_time] for e in acc.Scalars(tag)]
for tag in tags.get("images", []):
    out["images"][tag] = [
        {"step": e.step, "width": e.width, "height": e.height, "bytes": len(e.encoded_image_string),
         "head": list(e.encoded_image_string[:4])}
        for e in acc.Images(tag)
    ]
print(json.dumps(out))
