"""Batch deployment scoring script: prediction = x * scale for every csv row of a mini-batch."""

import csv
import json
import os
from pathlib import Path

scale = 1.0


def init():
    global scale
    scale = json.loads(next(Path(os.environ["AZUREML_MODEL_DIR"]).rglob("model.onnx")).read_text())["scale"]
    if os.environ.get("FAKE_BATCH_FAIL"):
        raise RuntimeError("the scoring script refuses to start")


def run(mini_batch):
    target = Path(os.environ["AZUREML_BI_OUTPUT_PATH"]) / f"predictions-{Path(mini_batch[0]).stem}.csv"
    with open(target, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "prediction", "error"])
        for file in mini_batch:
            with open(file, newline="") as g:
                for n, row in enumerate(csv.DictReader(g)):
                    try:
                        w.writerow([f"{Path(file).name}:{n}", float(row["x"]) * scale, ""])
                    except ValueError:
                        w.writerow([f"{Path(file).name}:{n}", "", f"x: {row['x']!r} is not a number"])
    return [Path(f).name for f in mini_batch]
