"""The event log: append-only JSON lines, a torn last line is skipped."""

from __future__ import annotations

from pathlib import Path

from amlops.backends.local.events import EventLog


def test_append_and_read(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    assert log.read() == []
    log.append({"type": "model-registered", "model": "m", "version": "1"})
    log.append({"type": "model-promoted", "model": "m", "version": "1"})
    with log.path.open("a") as handle:
        handle.write('{"type": "torn')
    events = log.read()
    assert [e["type"] for e in events] == ["model-registered", "model-promoted"]
    assert all("time" in e for e in events)
