"""Progress for long steps and summary tables, drawn with rich on stderr (stdout carries only results)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rich.console import Console
from rich.table import Table


@cache
def console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=False)


def _field(event: Any, *names: str) -> Any:
    for name in names:
        if isinstance(event, Mapping) and name in event:
            return event[name]
        if hasattr(event, name):
            return getattr(event, name)
    return None


def describe_event(event: Any) -> str:
    """A short human line for one executor event (a mapping or an object with similar attributes)."""
    step = _field(event, "step", "step_name", "name")
    kind = _field(event, "kind", "type", "status", "state")
    message = _field(event, "message")
    parts = [str(p) for p in (step, message or kind) if p not in (None, "")]
    return " ".join(parts) or str(event)


CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "TF_BUILD")
"""Set by CI agents (GitHub's runners and act: CI, GITHUB_ACTIONS; Azure Pipelines: TF_BUILD): a log, even
when the step's output is a pseudo-terminal, as act's jobs on the host are."""


def interactive(environ: Mapping[str, str] | None = None) -> bool:
    """Whether stderr is a terminal a spinner can redraw. Not rich's own test: FORCE_COLOR and TTY_COMPATIBLE
    (set in CI to colour logs) make rich treat a log file as a terminal, and every redraw became a line; and
    a CI job is never one, even on a pseudo-terminal (act's jobs: 12,000 lines of redraws per lifecycle)."""
    env = os.environ if environ is None else environ
    if any(env.get(name, "").strip().lower() not in ("", "0", "false") for name in CI_VARIABLES):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty()) and env.get("TERM") != "dumb"
    except ValueError:  # a closed stream
        return False


class StepProgress:
    """A spinner for one long action on a terminal; in CI and logs, one line when it starts and one per stage
    (`update`) or finished executor step (`on_event`), no redraws."""

    def __init__(self, label: str, *, live: bool | None = None) -> None:
        self.label = label
        self.live = interactive() if live is None else live
        self._status: Any = None
        self._said = ""
        self._started = time.monotonic()

    def __enter__(self) -> StepProgress:
        if self.live:
            self._status = console().status(f"[bold]{self.label}[/]", spinner="dots")
            self._status.__enter__()
        else:
            console().print(f"[bold]{self.label}[/]")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)

    def update(self, text: str) -> None:
        """A new stage of the action: the spinner's text, or one line in a log."""
        elapsed = time.monotonic() - self._started
        if self.live:
            self._status.update(f"[bold]{self.label}[/] {text} [dim]({elapsed:.0f}s)[/]")
        elif text != self._said:
            console().print(f"  {text} [dim]({elapsed:.0f}s)[/]")
            self._said = text

    def on_event(self, event: Any) -> None:
        """An executor event: finished steps get a line; everything else only moves the spinner."""
        line = describe_event(event)
        status = str(_field(event, "status", "state", "kind") or "").lower()
        if status in {"completed", "failed", "skipped", "cached", "reused"}:
            colour = {"completed": "green", "failed": "red"}.get(status, "yellow")
            console().print(f"  [{colour}]{line}[/]")
        if self.live:
            self.update(line)


@dataclass
class StageRecord:
    name: str
    seconds: float = 0.0
    outcome: str = "running"
    detail: str = ""


@dataclass
class Stages:
    """Times named stages; `table()` renders them (used by the demo's summary)."""

    records: list[StageRecord] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[StageRecord]:
        record = StageRecord(name)
        self.records.append(record)
        console().rule(f"[bold]{name}")
        started = time.monotonic()
        try:
            yield record
        except BaseException:
            record.outcome = "failed"
            raise
        finally:
            record.seconds = time.monotonic() - started
            if record.outcome == "running":
                record.outcome = "ok"

    def table(self) -> Table:
        t = Table(title="Stages")
        t.add_column("stage")
        t.add_column("outcome")
        t.add_column("seconds", justify="right")
        t.add_column("detail")
        for r in self.records:
            colour = {"ok": "green", "failed": "red"}.get(r.outcome, "yellow")
            t.add_row(r.name, f"[{colour}]{r.outcome}[/]", f"{r.seconds:.1f}", r.detail)
        t.add_row("total", "", f"{sum(r.seconds for r in self.records):.1f}", "")
        return t

    def timings(self) -> dict[str, float]:
        return {r.name: round(r.seconds, 2) for r in self.records}


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    return t


def show(renderable: Any) -> None:
    console().print(renderable)
