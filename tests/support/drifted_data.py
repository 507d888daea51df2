"""Drifted rows for monitoring tests: the project's own generator (`datascience.generate --drift`) run on a
project's contract, as a table file or as the records clients would send to a scoring endpoint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd


def drifted_table(project: Path, target: Path, *, rows: int, seed: int, drift: float = 1.0) -> Path:
    """`rows` rows of `project`'s contract shifted by `drift` (the generator's `--drift`), in `target`."""
    project = project.resolve()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datascience.generate",
            "--contract",
            str(project / "data-science" / "contract.yml"),
            "--output",
            str(target),
            "--rows",
            str(rows),
            "--seed",
            str(seed),
            "--drift",
            str(drift),
        ],
        cwd=project / "data-science" / "src",
        check=True,
        capture_output=True,
    )
    return target


def request_bodies(table: Path, *, per_request: int) -> list[bytes]:
    """The table's rows as scoring requests (`{"data": [records]}`, date-times as ISO 8601 strings)."""
    records: list[dict[str, Any]] = json.loads(
        pd.read_parquet(table).to_json(orient="records", date_format="iso")
    )
    return [
        json.dumps({"data": records[index : index + per_request]}).encode()
        for index in range(0, len(records), per_request)
    ]
