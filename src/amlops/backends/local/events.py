"""The append-only event log `<state>/events.jsonl`: one JSON object per registry change."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amlops.backends.local._files import now_iso


class EventLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, event: Mapping[str, Any]) -> None:
        document = {**event, "time": event.get("time") or now_iso()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:  # one write per line: appends stay whole
            handle.write(json.dumps(document, default=str, separators=(",", ":")) + "\n")

    def read(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        events = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue  # a torn last line (crash mid-write) is skipped, not fatal
        return events
