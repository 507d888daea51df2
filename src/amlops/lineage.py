"""Lineage facts both backends record on runs and model versions."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_sha(folder: Path) -> str | None:
    """HEAD of the git repository holding `folder` (suffixed `-dirty` with uncommitted changes), or None."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha or None
