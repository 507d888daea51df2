"""Write a 'model' file describing what the step saw."""

import argparse
import json
import os
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--prepared", type=Path, required=True)
parser.add_argument("--factor", type=int, required=True)
parser.add_argument("--model", type=Path, required=True)
args = parser.parse_args()
if os.environ.get("CALLS_FILE"):
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write("train\n")
lines = (args.prepared / "lines.txt").read_text().split()
model = {
    "n_lines": len(lines),
    "factor": args.factor,
    "cwd": os.getcwd(),
    "python": sys.executable,
    "train_mode": os.environ.get("TRAIN_MODE"),
    "mlflow_run_id": os.environ.get("MLFLOW_RUN_ID"),
    "tracking_uri": os.environ.get("MLFLOW_TRACKING_URI"),
}
args.model.write_text(json.dumps(model))
print("trained")
print("a warning on stderr", file=sys.stderr)
