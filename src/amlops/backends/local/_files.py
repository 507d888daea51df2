"""Small file helpers shared by the local backend: timestamps, log tails and rotation; the atomic JSON writes
(`amlops.jsonfiles`) and git lineage re-exported."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from amlops.jsonfiles import read_json, write_json
from amlops.lineage import git_sha

__all__ = ["git_sha", "now_iso", "read_json", "shift", "tail", "write_json"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def tail(path: Path | None, lines: int = 30) -> str:
    if path is None or not path.is_file():
        return ""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 64 * 1024))
        text = handle.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def shift(path: Path, *, keep: int) -> None:
    """Move `path` to `<path>.1`, `.1` to `.2`, ..., `.<keep - 1>` over `.<keep>` (the oldest is dropped);
    nothing moves when `path` does not exist."""
    if not path.exists():
        return
    for index in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{index + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))
