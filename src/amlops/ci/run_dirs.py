"""The run folders of the local runner: a new numbered folder per run under `<state>/ci-runs/...`."""

from __future__ import annotations

from pathlib import Path


def numbered_run_dir(runs: Path) -> tuple[int, Path]:
    """A new folder `runs/<n>`, numbered after the ones there (and after one another run takes meanwhile)."""
    runs.mkdir(parents=True, exist_ok=True)
    number = 1 + max((int(p.name) for p in runs.iterdir() if p.name.isdigit()), default=0)
    while True:
        try:
            (runs / str(number)).mkdir()
            return number, runs / str(number)
        except FileExistsError:
            number += 1
