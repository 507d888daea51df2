"""A throw-away copy of the repository for end-to-end pipeline runs (never the working tree itself).

The copy holds the tracked files (as they are in the working tree), is a git repository with an `origin`
remote (act needs one; the GitHub runner would otherwise copy it again) and links the separately
installed checkov environment (`make tools`) when there is one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from git_repository import commit_repository, git

REPOSITORY = Path(__file__).resolve().parents[2]


def copy_repository(target: Path) -> Path:
    """Tracked files of this repository copied to `target`, committed on `main` with an origin remote."""
    target.mkdir(parents=True)
    for name in git(REPOSITORY, "ls-files", "-z").split("\0"):
        source = REPOSITORY / name
        if not name or not source.is_file():
            continue  # deleted in the working tree
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    checkov = REPOSITORY / "tools" / "checkov" / ".venv"
    if checkov.is_dir():
        (target / "tools" / "checkov").mkdir(parents=True, exist_ok=True)
        (target / "tools" / "checkov" / ".venv").symlink_to(checkov)
    return commit_repository(
        target, origin="https://github.com/local/amlops.git", message="copy for end-to-end tests"
    )


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repository(tmp_path_factory.mktemp("e2e") / "repo")
