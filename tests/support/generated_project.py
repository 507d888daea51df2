"""Driving a generated project from its tests, through the project's own installed tool (the shared
environment of tests/cookiecutter/conftest.py): commands, amlops verbs, its settings and its lifecycle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_REPOSITORY = "your-org/amlops-template"  # the step_library_repository of pinned projects in tests
# The uv cache of this machine, read at import (before fixtures move HOME): projects install from it offline.
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
)

# One project per CI platform runs its own `make test` and its pipelines: between them every other option
# takes a second value. tests/cookiecutter/test_own_dataset.py swaps a team's own dataset into the Azure
# DevOps one before running its lifecycle; the GitHub one's lock is the shared environment's.
RUNNABLE: dict[str, dict[str, str]] = {
    "github-actions": {
        "ci_platform": "github-actions",
        "infrastructure": "terraform",
        "deployment": "online",
        "network_mode": "public",
    },
    "azure-devops": {
        "ci_platform": "azure-devops",
        "infrastructure": "bicep",
        "deployment": "online-and-batch",
        "network_mode": "private",
        "task": "classification",
    },
}


def run(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def amlops(env: Mapping[str, str], project: Path, state: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    """`amlops --state-dir STATE --project-dir PROJECT ARGV...`: the exit code and the result line."""
    result = run(
        "amlops", "--state-dir", state, "--project-dir", project, *argv, cwd=project, env=env, timeout=300
    )
    lines = result.stdout.strip().splitlines()
    return result.returncode, (json.loads(lines[-1]) if lines else {"stderr": result.stderr[-2000:]})


def settings(project: Path) -> dict[str, dict[str, Any]]:
    """`variables:` of pipelines/config/dev.yml and prod.yml, by role."""
    return {
        role: yaml.safe_load((project / "pipelines" / "config" / f"{role}.yml").read_text())["variables"]
        for role in ("dev", "prod")
    }


LIFECYCLE = textwrap.dedent(
    """
    import io, json, sys
    from pathlib import Path
    from amlops.lifecycle.run import run_lifecycle

    dialect, state, changed, tests = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
    log = io.StringIO()
    result = run_lifecycle(
        Path.cwd(), dialect=dialect, state_dir=state, approve=True, test_paths=tests, changed_paths=changed,
        out=log,
    )
    sys.stderr.write(log.getvalue()[-30000:] + result.table() + "\\n")
    stages = [[p.stage, p.path.name if p.path else None, p.status] for p in result.pipelines]
    print(json.dumps({"ok": result.ok, "stages": stages, "model": result.model, "version": result.version}))
    """
)


def lifecycle(
    env: Mapping[str, str],
    project: Path,
    state: Path,
    *,
    dialect: str,
    changed_paths: Sequence[str],
    test_paths: str = "tests/test_project.py",
) -> tuple[dict[str, Any], str]:
    """PR CI (with `test_paths`) -> train-model (a push changing `changed_paths`) -> model-registered ->
    deploy-model (dev, then prod approved), run by the project's own tool; the outcome and the log's tail."""
    python = Path(env["UV_PROJECT_ENVIRONMENT"]) / "bin" / "python"
    done = run(
        python, "-c", LIFECYCLE, dialect, state, json.dumps(list(changed_paths)), test_paths,
        cwd=project, env=env, timeout=1500,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-8000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def team_environment(config: Path, tmp_path: Path) -> dict[str, str]:
    """The environment a team's commands run in: this machine's, with git reaching the mirror, uv installing
    from the shared cache with this Python, and no virtual environment or project environment of this
    repository leaking in (the project's own `.venv`, unless the caller names one)."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(config),
        "UV_CACHE_DIR": UV_CACHE,
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
        "TMPDIR": str(tmp_path),
    }
    for name in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"):
        env.pop(name, None)
    return env
