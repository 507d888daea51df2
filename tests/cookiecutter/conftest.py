"""Generate projects from a clean export of this repository, with HOME, cookiecutter's config and TMPDIR
isolated under pytest's temporary folders; one installed environment shared by every generated project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from generated_project import RUNNABLE, TEMPLATE_REPOSITORY, UV_CACHE, run, team_environment

from amlops.render.command import export_template

REPO = Path(__file__).resolve().parents[2]
CHECKOV = REPO / "tools" / "checkov" / ".venv" / "bin" / "checkov"


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


# ---------------------------------------------------------------------------------------------- pinned
@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A bare clone of this repository's HEAD, which git reaches in place of the template repository on
    GitHub (`url.<mirror>.insteadOf`, through GIT_CONFIG_GLOBAL); yields (git config file, HEAD's SHA)."""
    root = tmp_path_factory.mktemp("mirror")
    bare = root / "amlops-template.git"
    done = subprocess.run(
        ["git", "clone", "-q", "--bare", str(REPO), str(bare)], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    config = root / "gitconfig"
    config.write_text(
        f'[url "{bare.as_uri()}"]\n\tinsteadOf = https://github.com/{TEMPLATE_REPOSITORY}\n', encoding="utf-8"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", str(config))
        yield config, head.stdout.strip()


@pytest.fixture(scope="session")
def pinned_azure_devops(
    generate: Generate, mirror: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """The runnable Azure DevOps project with step_library=pinned at this repository's HEAD (through the
    mirror), and the team's environment with the project's own locked environment installed (`uv sync
    --frozen`, amlops from the pinned ref) in a session folder; shared by its `make test` and `make demo`."""
    config, head = mirror
    project = generate(
        **RUNNABLE["azure-devops"],
        step_library="pinned",
        step_library_repository=TEMPLATE_REPOSITORY,
        step_library_ref=head,
    )
    root = tmp_path_factory.mktemp("pinned-env")
    (root / "tmp").mkdir()
    venv = root / "venv"
    env = {
        **team_environment(config, root / "tmp"),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "CHECKOV_BIN": str(CHECKOV),
    }
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed")
    result = run(uv, "sync", "--frozen", cwd=project, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return project, env
