"""Lineage facts both backends record on runs and model versions."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from amlops.backends.base import DataAsset


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


def run_tags(project_root: Path, data: Sequence[DataAsset], inputs: Mapping[str, Any]) -> dict[str, str]:
    """Tags a pipeline run carries: git SHA, the (first) data asset's name/version/hash, all assets, seed."""
    tags: dict[str, str] = {}
    sha = git_sha(project_root)
    if sha:
        tags["git_sha"] = sha
    if data:
        first = data[0]
        tags.update(data_asset=first.name, data_version=first.version, data_hash=first.hash)
        if len(data) > 1:
            tags["data_assets"] = ",".join(f"{a.name}:{a.version}" for a in data)
    if "seed" in inputs:
        tags["seed"] = str(inputs["seed"])
    return tags
