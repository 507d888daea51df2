"""Run every benchmark in this folder, one after another, on this machine: `make bench`.

Each script names its reference and prints ratios against it; see bench/README.md for recorded figures.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    del argv  # no options: each script runs with its defaults
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run.py")
    worst = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        worst = max(worst, subprocess.call([sys.executable, str(script)]))
    return worst


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
