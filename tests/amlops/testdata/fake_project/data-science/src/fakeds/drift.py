"""Drifted when the mean of x moved by more than --threshold."""

import argparse
import csv
import json
from pathlib import Path


def mean(path):
    with open(path, newline="") as f:
        xs = [float(r["x"]) for r in csv.DictReader(f)]
    return sum(xs) / len(xs)


p = argparse.ArgumentParser()
p.add_argument("--contract", required=True)
p.add_argument("--reference", required=True)
p.add_argument("--current", required=True)
p.add_argument("--output", required=True)
p.add_argument("--threshold", type=float, default=1.0)
a = p.parse_args()
shift = abs(mean(a.current) - mean(a.reference))
Path(a.output).mkdir(parents=True, exist_ok=True)
(Path(a.output) / "drift.json").write_text(json.dumps({"drifted": shift > a.threshold, "features": {"x": shift}}))
