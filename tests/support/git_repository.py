"""A folder turned into a team's fresh git repository for tests: committed on `main`, with an origin remote,
and git kept away from the user's configuration (identity, signing, global and system settings)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "amlops-tests",
    "GIT_AUTHOR_EMAIL": "tests@localhost",
    "GIT_COMMITTER_NAME": "amlops-tests",
    "GIT_COMMITTER_EMAIL": "tests@localhost",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(folder: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """`git -C folder args` with `GIT_ENV`; its stdout, stripped. Fails the test with git's stderr."""
    done = subprocess.run(
        ["git", "-C", str(folder), "-c", "commit.gpgsign=false", *args],
        env={**os.environ, **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def commit_repository(
    folder: Path, *, origin: str = "https://github.com/local/project.git", message: str = "initial"
) -> Path:
    """Make `folder` a repository whose one commit on `main` holds everything in it; returns `folder`."""
    git(folder, "init", "-q", "-b", "main")
    git(folder, "remote", "add", "origin", origin)
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    return folder
