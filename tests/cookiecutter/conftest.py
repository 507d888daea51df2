"""Generate projects from a clean export of this repository, with HOME, cookiecutter's config and TMPDIR
isolated under pytest's temporary folders; one installed environment shared by every generated project."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from generated_project import RUNNABLE, run

from amlops.render.command import export_template

REPO = Path(__file__).resolve().parents[2]
CHECKOV = REPO / "tools" / "checkov" / ".venv" / "bin" / "checkov"
# Read before any fixture moves HOME: the generated projects install from the same uv cache, offline.
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files git tracks, as a CI clone would have them (others' untracked work left out)."""
    destination = tmp_path_factory.mktemp("template") / "amlops"
    export_template(REPO, destination, include_untracked=False)
    return destination


@pytest.fixture(scope="session")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """HOME, COOKIECUTTER_CONFIG and TMPDIR inside a temporary folder for the whole session."""
    root = tmp_path_factory.mktemp("isolated")
    (root / "home").mkdir()
    (root / "tmp").mkdir()
    config = root / "cookiecutter.yaml"
    settings = {"replay_dir": str(root / "replay"), "cookiecutters_dir": str(root / "clones")}
    config.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(root / "home"))
        patch.setenv("COOKIECUTTER_CONFIG", str(config))
        patch.setenv("TMPDIR", str(root / "tmp"))
        patch.setattr(tempfile, "tempdir", str(root / "tmp"))
        yield root


Generate = Callable[..., Path]  # also declared in test_generate.py (tests are not a package)


@pytest.fixture(scope="session")
def generate(template: Path, isolated: Path, tmp_path_factory: pytest.TempPathFactory) -> Generate:
    """generate(**answers) -> project folder, through cookiecutter's own API (as `cookiecutter <repo>`)."""
    from cookiecutter.main import cookiecutter

    cache: dict[tuple[tuple[str, str], ...], Path] = {}

    def run(**answers: str) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in cache:
            output = tmp_path_factory.mktemp("out")
            cache[key] = Path(
                cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=str(output))
            )
        return cache[key]

    return run


@pytest.fixture(scope="session")
def shared_env(generate: Generate, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One environment for every generated project: `uv sync --frozen` (offline, from the uv cache) of one
    generated project into a session folder. Returns the environment variables that select it."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed")
    venv = tmp_path_factory.mktemp("shared-env") / "venv"
    env = {
        **os.environ,
        "UV_CACHE_DIR": UV_CACHE,
        "UV_OFFLINE": "1",
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "ACT_DISABLE_VERSION_CHECK": "1",
        "CHECKOV_BIN": str(CHECKOV),
    }
    env.pop("VIRTUAL_ENV", None)
    project = generate(**RUNNABLE["github-actions"])  # rendered by the GitHub tests anyway
    result = run(uv, "sync", "--frozen", "--python", sys.executable, cwd=project, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    env["UV_NO_SYNC"] = "1"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env
