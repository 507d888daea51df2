"""Scoring inputs collected by Azure ML's data collector, as a table: the monitor's current data.

The collector (on Azure ML, and the local backend's sidecar) stores one JSON line per logged frame under
`<collection>/YYYY/MM/DD/HH/*.jsonl`; each line is a CloudEvents envelope whose `data` holds the frame's
records and whose `time` says when it was logged. `read_collected` turns a folder of such files into one
frame, keeping only lines logged at or after `since`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

SUFFIX = ".jsonl"


def collected_files(path: str | Path) -> list[Path]:
    """The .jsonl files at `path` (the file, or a folder's, recursive and sorted); empty when none."""
    path = Path(path)
    if path.is_file():
        return [path] if path.suffix.lower() == SUFFIX else []
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file())


def parse_time(value: object) -> datetime:
    """An envelope's `time` (ISO 8601, `Z` or an offset; or epoch seconds) as an aware UTC datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).strip()
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_collected(path: str | Path, *, since: datetime | None = None) -> pd.DataFrame:
    """The records of every envelope at `path` logged at or after `since`, as one frame (no rows: an empty
    frame). ValueError names the file and line of anything that is not an envelope of records."""
    records: list[dict] = []
    for file in collected_files(path):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{file}, line {number}"
            try:
                event = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{where}: not JSON ({error.msg})") from None
            if not isinstance(event, dict) or not isinstance(event.get("data"), list):
                raise ValueError(f"{where}: not a data collector line (no `data` list of records)")
            try:
                logged = parse_time(event.get("time"))
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{where}: `time` {event.get('time')!r} is not a time") from None
            if since is not None and logged < since:
                continue
            rows = [row for row in event["data"] if isinstance(row, dict)]
            if len(rows) != len(event["data"]):
                raise ValueError(f"{where}: `data` must be a list of records (objects)")
            records.extend(rows)
    return pd.DataFrame.from_records(records)
