"""Writes a model bundle whose metrics come from the arguments, with its own smoke request (as the real
evaluate component does); --fail exits 1 (a broken component)."""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

p = argparse.ArgumentParser()
p.add_argument("--contract", required=True)
p.add_argument("--data", required=True)
p.add_argument("--validated", required=True)
p.add_argument("--seed", type=int, required=True)
p.add_argument("--rmse", type=float, required=True)
p.add_argument("--scale", type=float, required=True)
p.add_argument("--fail", default="false")
p.add_argument("--bundle", required=True)
a = p.parse_args()
if a.fail.lower() == "true":
    print("train: simulated failure", file=sys.stderr)
    sys.exit(1)
out = Path(a.bundle)
out.mkdir(parents=True, exist_ok=True)
shutil.copy(a.contract, out / "contract.yml")
(out / "model.onnx").write_text(json.dumps({"scale": a.scale}))
(out / "metrics.json").write_text(json.dumps({
    "task": "regression", "metrics": {"rmse": a.rmse, "r2": 0.9}, "onnx_max_abs_diff": 1e-5,
    "n_test_rows": 10, "seed": a.seed,
}))
(out / "smoke-request.json").write_text(json.dumps({"data": [{"x": 1.0}, {"x": 2.5}]}))
(out / "mlflow_run_id.txt").write_text(os.environ.get("MLFLOW_RUN_ID", ""))
print("trained")
