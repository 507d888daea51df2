"""Upper-case the non-empty lines of a text file into OUTPUT/lines.txt."""

import argparse
import os
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--output", type=Path, required=True)
args = parser.parse_args()
if os.environ.get("CALLS_FILE"):
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write("prep\n")
lines = [line.strip().upper() for line in args.data.read_text().splitlines() if line.strip()]
(args.output / "lines.txt").write_text("\n".join(lines) + "\n")
print(f"prepared {len(lines)} lines")
