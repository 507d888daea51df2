"""A throw-away copy of the repository for end-to-end pipeline runs (never the working tree itself).

The copy holds the tracked files (as they are in the working tree), is a git repository with an `origin`
remote (act needs one; the GitHub runner would otherwise copy it again) and links the separately
installed checkov environment (`make tools`) when there is one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "amlops-tests",
    "GIT_AUTHOR_EMAIL": "tests@localhost",
    "GIT_COMMITTER_NAME": "amlops-tests",
    "GIT_COMMITTER_EMAIL": "tests@localhost",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(cwd), *args],
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def copy_repository(target: Path) -> Path:
    """Tracked files of this repository copied to `target`, committed on `main` with an origin remote."""
    target.mkdir(parents=True)
    for name in _git(REPOSITORY, "ls-files", "-z").split("\0"):
        source = REPOSITORY / name
        if not name or not source.is_file():
            continue  # deleted in the working tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    checkov = REPOSITORY / "tools" / "checkov" / ".venv"
    if checkov.is_dir():
        (target / "tools" / "checkov").mkdir(parents=True, exist_ok=True)
        (target / "tools" / "checkov" / ".venv").symlink_to(checkov)
    _git(target, "init", "-q", "-b", "main")
    _git(target, "remote", "add", "origin", "https://github.com/local/amlops.git")
    _git(target, "add", "-A")
    _git(target, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "copy for end-to-end tests")
    return target


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repository(tmp_path_factory.mktemp("e2e") / "repo")
