"""Small file helpers shared by the local backend: atomic JSON writes, timestamps, git lineage."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amlops.lineage import git_sha

__all__ = ["git_sha", "now_iso", "read_json", "shift", "tail", "write_json"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json(path: Path, document: Any) -> None:
    """Write JSON atomically (temporary file + rename), so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    temporary.replace(path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


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
