"""`amlops.ci.run_dirs`: a new numbered folder per run, for both dialects."""

from __future__ import annotations

from pathlib import Path

from amlops.ci.run_dirs import numbered_run_dir


def test_run_folders_are_numbered_after_the_ones_there(tmp_path: Path) -> None:
    runs = tmp_path / "ci-runs"
    assert numbered_run_dir(runs) == (1, runs / "1")
    (runs / "7").mkdir()
    (runs / "notes").mkdir()
    assert numbered_run_dir(runs) == (8, runs / "8")
    assert sorted(p.name for p in runs.iterdir()) == ["1", "7", "8", "notes"]
