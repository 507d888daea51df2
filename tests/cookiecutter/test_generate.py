"""Every valid combination renders into exactly the chosen parts, with every `${{ }}` intact."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from mermaid_parser import parse

from amlops.graph import load_graph
from amlops.graph.mermaid import to_mermaid
from amlops.lifecycle.commands_expand import project_repos

Generate = Callable[..., Path]

CI = ("github-actions", "azure-devops")
INFRASTRUCTURE = ("terraform", "bicep")
DEPLOYMENT = ("online", "batch", "online-and-batch")
NETWORK = ("public", "private")
COMBINATIONS = list(itertools.product(CI, INFRASTRUCTURE, DEPLOYMENT, NETWORK))

COMMON_TOP_LEVEL = {
    ".cookiecutter-answers.json",
    ".gitignore",
    "Makefile",
    "README.md",
    "data-science",
    "infrastructure",
    "pipelines",
    "pyproject.toml",
    "tools",  # tools/checkov: checkov's own locked environment
    "tests",
    "uv.lock",
    "vendor",
}
MARKERS = re.compile(r"\{\{\s*cookiecutter|\{%|\{#|cookiecutter\.project_slug")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _text_files(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in {".parquet", ".lock", ".whl"}:
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def _expressions(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        # The infrastructure-tool fallback is the one expression the answers change on purpose.
        found += [re.sub(r"terraform|bicep", "TOOL", e) for e in EXPRESSION.findall(path.read_text("utf-8"))]
    return sorted(found)


def _yaml_under(*folders: Path) -> list[Path]:
    return [p for f in folders if f.is_dir() for p in sorted(f.rglob("*.y*ml"))]


@pytest.mark.parametrize("combination", COMBINATIONS, ids="-".join)
def test_combination_has_exactly_the_chosen_parts(
    generate: Generate, template: Path, combination: tuple[str, str, str, str]
) -> None:
    ci, infrastructure, deployment, network = combination
    project = generate(
        ci_platform=ci, infrastructure=infrastructure, deployment=deployment, network_mode=network
    )
    ci_dir = ".github" if ci == "github-actions" else ".azure-pipelines"
    expected = COMMON_TOP_LEVEL | {ci_dir}
    assert {p.name for p in project.iterdir()} == expected
    assert not (project / "templates").exists()
    assert sorted(p.name for p in (project / "infrastructure").iterdir() if p.is_dir()) == [infrastructure]
    assert not (project / "pipelines" / "github").exists()
    assert not (project / "pipelines" / "azure-devops").exists()

    azureml = project / "pipelines" / "azureml"
    kinds = {"online": {"online"}, "batch": {"batch"}, "online-and-batch": {"online", "batch"}}[deployment]
    source_specs = sorted((template / "pipelines" / "azureml").glob("*-*.yml"))
    for spec in source_specs:
        kind = spec.name.split("-")[0]
        if kind in ("online", "batch"):
            assert (azureml / spec.name).exists() == (kind in kinds), spec.name

    record = json.loads((project / ".cookiecutter-answers.json").read_text(encoding="utf-8"))
    assert record["answers"]["ci_platform"] == ci
    assert record["answers"]["network_mode"] == network
    assert record["template"]["version"]

    for path, text in _text_files(project):
        assert not MARKERS.search(text), f"template marker left in {path}"

    for tfvars in (project / "infrastructure").rglob("*.tfvars"):
        assert re.search(rf'(?m)^network_mode\s*=\s*"{network}"', tfvars.read_text()), tfvars
    parameter_files = sorted((project / "infrastructure").rglob("environments/*.parameters.json"))
    assert bool(parameter_files) == (infrastructure == "bicep")
    for path in parameter_files:
        parameters = json.loads(path.read_text(encoding="utf-8"))["parameters"]
        assert parameters["networkMode"]["value"] == network, path
        assert parameters["workloadName"]["value"] == "mymlopspro", path


@pytest.mark.parametrize("ci", CI)
def test_every_ci_expression_survives(generate: Generate, template: Path, ci: str) -> None:
    project = generate(ci_platform=ci)
    if ci == "github-actions":
        source = _yaml_under(template / "pipelines" / "github", template / "templates" / "github")
        generated = _yaml_under(project / ".github" / "workflows", project / ".github" / "actions")
    else:
        source = _yaml_under(template / "pipelines" / "azure-devops", template / "templates" / "azure-devops")
        generated = _yaml_under(project / ".azure-pipelines")
    assert source, "the step library has not landed"
    assert len(generated) == len(source)
    assert _expressions(generated) == _expressions(source)


@pytest.mark.parametrize(("ci", "step_library"), list(itertools.product(CI, ("vendored", "pinned"))))
def test_the_readme_shows_each_pipeline_drawn_from_its_files(
    generate: Generate, template: Path, ci: str, step_library: str
) -> None:
    """One Mermaid diagram per pipeline of the chosen dialect, and one of the Azure ML training pipeline,
    each what `amlops graph` draws from the generated file; Mermaid's own parser reads every one."""
    project = generate(ci_platform=ci, step_library=step_library, step_library_ref="v2.3.4")
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "<!-- amlops:pipelines -->" not in readme
    section = readme.split("\n## Pipelines\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"(?s)```mermaid\n(.*?)```\n", section)
    dialect, folder = (
        ("github", ".github/workflows") if ci == "github-actions" else ("azure-devops", ".azure-pipelines")
    )
    names = sorted(p.name for p in (template / "pipelines" / dialect).glob("*.yml"))
    files = [project / folder / name for name in names] + [project / "pipelines/azureml/train-pipeline.yml"]
    repos = project_repos(project)
    assert blocks == [to_mermaid(load_graph(path, repo_root=project, repos=repos)) for path in files]
    for path in files:
        assert f"`{path.relative_to(project).as_posix()}`" in section
    parsed = parse(blocks)
    assert all(result["ok"] for result in parsed), parsed


def test_shared_files_are_copied_byte_for_byte(generate: Generate, template: Path) -> None:
    project = generate()
    for folder in ("data-science/src", "infrastructure/terraform/modules", "templates/github/actions"):
        source_root = template / folder
        target_root = project / (".github/actions" if folder.startswith("templates") else folder)
        for source in sorted(p for p in source_root.rglob("*") if p.is_file()):
            target = target_root / source.relative_to(source_root)
            if folder.startswith("templates"):
                continue  # rewritten `uses:` paths; covered by test_local_references_resolve
            assert target.read_bytes() == source.read_bytes(), target


@pytest.mark.parametrize(("ci", "step_library"), list(itertools.product(CI, ("vendored", "pinned"))))
def test_local_references_resolve(generate: Generate, ci: str, step_library: str) -> None:
    """Every local `uses: ./x` and relative `template:` points at a file of the generated project."""
    project = generate(ci_platform=ci, step_library=step_library, step_library_ref="v2.3.4")
    files = _yaml_under(project / ".github", project / ".azure-pipelines")
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "templates/github" not in text or step_library == "pinned", path
        for local in re.findall(r"(?m)^\s*-?\s*uses:\s*['\"]?\./([^\s'\"]+)", text):
            assert (project / local).exists(), f"{path}: uses ./{local}"
        for ref in re.findall(r"(?m)^\s*-?\s*template:\s*['\"]?([^\s'\"#]+)", text):
            if "${{" in ref or "@" in ref:
                continue
            target = project / ref.lstrip("/") if ref.startswith("/") else path.parent / ref
            assert target.exists(), f"{path}: template {ref}"


def test_pinned_github_uses_the_library_at_the_ref(generate: Generate) -> None:
    project = generate(
        ci_platform="github-actions",
        step_library="pinned",
        step_library_repository="contoso/steps",
        step_library_ref="v2.3.4",
    )
    assert not (project / ".github" / "actions").exists()
    uses = [
        line.split("uses:")[1].strip()
        for path in _yaml_under(project / ".github")
        for line in path.read_text().splitlines()
        if "uses:" in line and "templates/github/actions" in line
    ]
    assert uses
    assert all(re.fullmatch(r"contoso/steps/templates/github/actions/[\w-]+@v2\.3\.4", u) for u in uses), uses


def test_pinned_azure_devops_points_the_repository_resource_at_the_ref(generate: Generate) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    project = generate(
        ci_platform="azure-devops",
        step_library="pinned",
        step_library_repository="contoso/steps",
        step_library_ref=sha,
    )
    assert not (project / ".azure-pipelines" / "templates").exists()
    pipelines = sorted((project / ".azure-pipelines").glob("*.yml"))
    assert pipelines
    for path in pipelines:
        text = path.read_text()
        if "@templates" in text:
            assert "name: contoso/steps" in text, path
            assert f"ref: {sha}" in text, path


def test_vendored_azure_devops_drops_the_repository_resource(generate: Generate) -> None:
    project = generate(ci_platform="azure-devops")
    for path in sorted((project / ".azure-pipelines").glob("*.yml")):
        text = path.read_text()
        assert "- repository: templates" not in text, path
        assert "@templates" not in text, path


def test_independent_answers_reach_the_settings(generate: Generate) -> None:
    project = generate(
        project_name="Fraud Scoring",
        location="swedencentral",
        dev_environment="test",
        prod_environment="live",
        model_name="fraud.v1",
        infrastructure="terraform",
    )
    assert project.name == "fraud-scoring"
    dev = (project / "pipelines" / "config" / "dev.yml").read_text()
    assert "environmentName: test" in dev
    assert "modelName: fraud.v1" in dev
    assert "onlineEndpoint: fraud-scoring-test-online" in dev
    prod = (project / "pipelines" / "config" / "prod.yml").read_text()
    assert "environmentName: live" in prod
    tfvars = (project / "infrastructure" / "terraform" / "environments" / "prod.tfvars").read_text()
    assert (
        'location                             = "swedencentral"' in tfvars
        or 'location = "swedencentral"' in tfvars
    )
    assert "Fraud Scoring" in (project / "README.md").read_text()


def test_azure_devops_service_connections_are_declared_under_the_settings_names(generate: Generate) -> None:
    project = generate(project_name="Fraud Scoring", ci_platform="azure-devops", dev_environment="test")
    declared = yaml.safe_load(
        (project / ".azure-pipelines" / "local" / "service-connections.yml").read_text()
    )
    settings = [
        yaml.safe_load((project / "pipelines" / "config" / f"{role}.yml").read_text())["variables"]
        for role in ("dev", "prod")
    ]
    assert sorted(declared) == sorted(s["serviceConnection"] for s in settings)
    assert sorted(declared) == ["fraud-scoring-prod", "fraud-scoring-test"]
    assert set(declared["fraud-scoring-test"]) == {"id", "clientId", "tenantId", "subscriptionId"}


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_task_selects_its_contract(generate: Generate, template: Path, task: str) -> None:
    examples = template / "data-science" / "examples"
    contracts = [template / "data-science" / "contract.yml", *sorted(examples.glob("*/contract.yml"))]
    if not any(re.search(rf"(?m)^task:\s*{task}\b", c.read_text()) for c in contracts if c.exists()):
        pytest.skip(f"no {task} contract in the template yet")
    project = generate(task=task)
    assert re.search(rf"(?m)^task:\s*{task}\b", (project / "data-science" / "contract.yml").read_text())
    assert not (project / "data-science" / "examples").exists()
    config = (project / "pipelines" / "config" / "dev.yml").read_text()
    data_path = re.search(r"(?m)^\s*dataPath:\s*(\S+)", config)
    if data_path:
        assert (project / data_path.group(1)).is_file()
        # every pipeline default and Azure ML spec names the project's sample, not the template's
        files = [p for p in project.rglob("*") if p.is_file() and p.suffix in {".yml", ".json"}]
        for path in files:
            for ref in re.findall(r"data-science/data/[\w.-]*\w", path.read_text(encoding="utf-8")):
                assert ref == data_path.group(1), f"{path}: {ref}"
