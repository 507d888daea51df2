"""Progress on stderr: a spinner on a terminal; in CI and logs one line per stage, no redraws."""

from __future__ import annotations

import pytest

from amlops.progress import StepProgress, interactive


def test_a_coloured_log_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """FORCE_COLOR / TTY_COMPATIBLE make rich redraw its spinner into a log (4,000+ lines in a CI run)."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert interactive() is False  # pytest's captured stderr is no terminal


def test_in_a_log_each_stage_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    with StepProgress("deploy-online ep/blue (m:1)") as progress:
        for _ in range(50):  # a caller that reports the same stage over and over
            progress.update("starting the inference server")
        for n in range(200):  # an executor streaming a step's output
            progress.on_event({"step": "train", "kind": "log", "message": f"line {n}"})
        progress.on_event({"step": "train", "kind": "completed", "message": "completed in 3.1 s"})
        progress.update("smoke test")
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "\r" not in err
    assert len(lines) == 4, lines
    assert "deploy-online ep/blue (m:1)" in lines[0]
    assert "starting the inference server" in lines[1]
    assert "train completed in 3.1 s" in lines[2]
    assert "smoke test" in lines[3]


@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS", "TF_BUILD"])
def test_a_ci_job_on_a_pseudo_terminal_is_a_log(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    """act runs a job's steps on a pseudo-terminal: without this, every spinner redraw was a log line."""
    import os
    import pty
    import sys

    primary, secondary = pty.openpty()
    with os.fdopen(secondary, "w") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        monkeypatch.setenv("TERM", "xterm")
        for name in ("CI", "GITHUB_ACTIONS", "TF_BUILD"):
            monkeypatch.delenv(name, raising=False)
        assert interactive() is True  # a developer's terminal
        monkeypatch.setenv(variable, "true")
        assert interactive() is False
        monkeypatch.setenv(variable, "false")
        assert interactive() is True
    os.close(primary)
