"""Scores every csv under --input: prediction = x * scale."""

import argparse
import csv
import json
from pathlib import Path

p = argparse.ArgumentParser()
p.add_argument("--model", required=True)
p.add_argument("--input", required=True)
p.add_argument("--output", required=True)
a = p.parse_args()
scale = json.loads(next(Path(a.model).rglob("model.onnx")).read_text())["scale"]
src = Path(a.input)
files = [src] if src.is_file() else sorted(src.rglob("*.csv"))
Path(a.output).mkdir(parents=True, exist_ok=True)
with open(Path(a.output) / "predictions.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["row", "prediction"])
    n = 0
    for file in files:
        with open(file, newline="") as g:
            for row in csv.DictReader(g):
                w.writerow([n, float(row["x"]) * scale])
                n += 1
