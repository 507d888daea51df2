"""This project's pipelines hang together: every local reference resolves, Azure DevOps pipelines expand with
the local runner, and the Azure ML specs point at files that exist."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github"
AZURE_DEVOPS = ROOT / ".azure-pipelines"
AZUREML = ROOT / "pipelines" / "azureml"


def _yaml(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.yml")) if folder.is_dir() else []


@pytest.mark.parametrize("path", _yaml(GITHUB / "workflows") + _yaml(GITHUB / "actions"), ids=str)
def test_github_local_uses_resolve(path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    uses = []
    for job in (document.get("jobs") or {}).values():
        uses.append(job.get("uses", ""))
        uses += [step.get("uses", "") for step in job.get("steps") or []]
    uses += [step.get("uses", "") for step in (document.get("runs") or {}).get("steps") or []]
    for target in (u for u in uses if u.startswith("./")):
        assert (ROOT / target).exists(), f"{path.relative_to(ROOT)}: uses {target}"


@pytest.mark.parametrize("path", sorted(AZURE_DEVOPS.glob("*.yml")), ids=lambda p: p.name)
def test_azure_devops_pipeline_expands(path):
    from amlops.ci.azure_devops.expand import expand_pipeline
    from amlops.lifecycle.commands_expand import project_repos

    repos = project_repos(ROOT)  # a pinned step library: the installed amlops's (pyproject.toml)
    document = expand_pipeline(path, repo_root=ROOT, repos=repos)
    assert document.get("stages") or document.get("jobs") or document.get("steps")


def test_azureml_specs_point_at_existing_files():
    for path in _yaml(AZUREML):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        jobs = (spec.get("jobs") or {}).values() if isinstance(spec, dict) else []
        for job in jobs:
            component = job.get("component", "")
            if isinstance(component, str) and component.startswith(("../", "./")):
                assert (path.parent / component).resolve().is_file(), f"{path.name}: {component}"
        code = (spec.get("code_configuration") or {}).get("code") if isinstance(spec, dict) else None
        if code:
            assert (path.parent / code).resolve().exists(), f"{path.name}: code {code}"
