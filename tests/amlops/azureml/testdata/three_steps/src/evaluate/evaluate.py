"""Score = lines x factor, written to REPORT/metrics.json."""

import argparse
import json
import os
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--model", type=Path, required=True)
parser.add_argument("--prepared", type=Path, required=True)
parser.add_argument("--report", type=Path, required=True)
args = parser.parse_args()
if os.environ.get("CALLS_FILE"):
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write("evaluate\n")
model = json.loads(args.model.read_text())
lines = (args.prepared / "lines.txt").read_text().split()
(args.report / "metrics.json").write_text(json.dumps({"score": model["factor"] * len(lines)}))
print("evaluated")
