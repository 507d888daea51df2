"""Fails when a value of column x is missing or not a number; writes result.json like the real one."""

import argparse
import csv
import json
import sys
from pathlib import Path

p = argparse.ArgumentParser()
p.add_argument("--contract", required=True)
p.add_argument("--data", required=True)
p.add_argument("--report", required=True)
a = p.parse_args()
bad = 0
with open(a.data, newline="") as f:
    for row in csv.DictReader(f):
        try:
            float(row["x"])
        except (TypeError, ValueError):
            bad += 1
failures = [{"column": "x", "expectation": "expect_column_values_to_be_of_type", "unexpected_count": bad}] if bad else []
Path(a.report).mkdir(parents=True, exist_ok=True)
(Path(a.report) / "result.json").write_text(json.dumps({"success": not bad, "failures": failures}))
if bad:
    print(f"validation failed: x: {bad} unexpected value(s)", file=sys.stderr)
    sys.exit(1)
print("valid")
