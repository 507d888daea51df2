"""Text edits of the layout module, on small inputs: each setter reports the keys it set, and the renderer
fails naming the file and key when one is missing."""

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from amlops.render import layout

REPO = Path(__file__).resolve().parents[3]


def test_set_default_for_azure_devops_parameters_and_github_inputs():
    ado = (
        "parameters:\n  - name: deployBatch\n    type: boolean\n    default: false\n"
        "  - name: other\n    default: x\n"
    )
    out, count = layout.set_default(ado, "deployBatch", "true")
    assert "default: true" in out
    assert out.endswith("default: x\n")
    assert count == 1
    gh = (
        "inputs:\n  deploy-batch:\n    description: 'd'\n    default: false  # comment\n"
        "  other:\n    default: 1\n"
    )
    out, count = layout.set_default(gh, "deploy-batch", "true")
    assert "default: true  # comment" in out
    assert out.endswith("default: 1\n")
    assert count == 1
    assert layout.set_default(gh, "deploy-online", "true") == (gh, 0)


def test_set_yaml_scalars_keeps_comments_and_other_keys():
    text = "variables:\n  environmentName: dev  # the name\n  other: 1\n"
    assert layout.set_yaml_scalars(text, {"environmentName": "qa"}) == (
        "variables:\n  environmentName: qa  # the name\n  other: 1\n",
        {"environmentName"},
    )


def test_set_yaml_scalars_only_touches_top_level_keys_of_variables():
    text = (
        "# modelName: in a comment\n"
        "modelName: outside\n"
        "variables:\n"
        "  # a comment between\n"
        "  nested:\n"
        "    modelName: deeper\n"
        "  modelName:   old   # kept\n"
        "other:\n"
        "  modelName: after\n"
    )
    out, found = layout.set_yaml_scalars(text, {"modelName": "new", "environmentName": "qa"})
    assert found == {"modelName"}
    assert out == text.replace("modelName:   old", "modelName:   new")


def test_set_yaml_scalars_quotes_what_yaml_would_not_read_as_the_string():
    out, _ = layout.set_yaml_scalars("variables:\n  environmentName: dev\n", {"environmentName": "yes"})
    assert out == 'variables:\n  environmentName: "yes"\n'


def test_set_yaml_scalars_in_a_nested_mapping_touches_that_mapping_only():
    text = (
        "ml_task: top\n"
        "create_monitor:\n"
        "  compute:\n"
        "    ml_task: other\n"
        "  monitoring_target:  # the target\n"
        "    # ml_task: in a comment\n"
        "    ml_task: regression  # kept\n"
        "    deeper:\n"
        "      ml_task: deeper\n"
        "  after:\n"
        "    ml_task: after\n"
        "monitoring_target:\n"
        "  ml_task: elsewhere\n"
    )
    out, found = layout.set_yaml_scalars(text, {"ml_task": "classification"}, mapping=layout.MONITOR_TARGET)
    assert found == {"ml_task"}
    assert out == text.replace("ml_task: regression", "ml_task: classification")
    assert layout.set_yaml_scalars(text, {"ml_task": "x"}, mapping=("create_monitor", "missing")) == (
        text,
        set(),
    )


def test_set_hcl_and_bicep_values():
    assert layout.set_hcl_strings('location   = "westeurope"\n', {"location": "eastus"}) == (
        'location   = "eastus"\n',
        {"location"},
    )
    assert layout.set_hcl_strings('region = "westeurope"\n', {"location": "eastus"}) == (
        'region = "westeurope"\n',
        set(),
    )
    assert layout.set_bicep_params("param location = 'westeurope'\n", {"location": "eastus"}) == (
        "param location = 'eastus'\n",
        {"location"},
    )
    assert layout.set_bicep_params("param region = 'x'\n", {"location": "eastus"})[1] == set()


@pytest.mark.parametrize("indent", [2, 4, "\t"])
def test_set_parameters_json_keeps_the_indentation_and_changes_only_values(indent):
    document = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "parameters": {"location": {"value": "westeurope"}, "days": {"value": 7}},
    }
    text = json.dumps(document, indent=indent) + "\n"
    out, found = layout.set_parameters_json(text, {"location": "eastus"})
    assert found == {"location"}
    assert out == text.replace('"westeurope"', '"eastus"')


def test_set_parameters_json_reports_keys_not_under_parameters():
    text = (
        '{\n  "location": {"value": "x"},\n  "parameters": {\n    "days": {\n      "value": 7\n    }\n  }\n}'
    )
    out, found = layout.set_parameters_json(text, {"location": "eastus", "days": "9"})
    assert found == set()  # `location` is not a parameter, `days` not a string parameter
    assert out == text
    with pytest.raises(layout.RenderError, match="not valid JSON"):
        layout.set_parameters_json("{", {"location": "eastus"})


def test_template_parameter_files_are_in_the_layout_the_renderer_writes():
    files = sorted((REPO / "infrastructure").rglob("*.parameters.json"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        values = {
            k: v["value"] for k, v in json.loads(text)["parameters"].items() if isinstance(v["value"], str)
        }
        assert layout.set_parameters_json(text, values)[0] == text, path


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "setter", "text"),
    [
        ("pipelines/config/dev.yml", layout.set_yaml_scalars, "variables:\n  environment: dev\n"),
        ("infrastructure/terraform/environments/dev.tfvars", layout.set_hcl_strings, 'environment = "dev"\n'),
        (
            "infrastructure/bicep/environments/dev.bicepparam",
            layout.set_bicep_params,
            "param environment = 'x'\n",
        ),
        (
            "infrastructure/bicep/environments/dev.parameters.json",
            layout.set_parameters_json,
            '{\n  "parameters": {\n    "environment": {\n      "value": "dev"\n    }\n  }\n}\n',
        ),
    ],
)
def test_a_missing_key_fails_naming_the_file_and_key(tmp_path, name, setter, text):
    path = _write(tmp_path, name, text)
    with pytest.raises(layout.RenderError) as failure:
        layout.write_settings(
            tmp_path, path, setter, {"environmentName": "qa"}, {"environmentName": "dev_environment"}
        )
    assert str(failure.value) == (
        f"{name}: no 'environmentName' to set (expected by the renderer for dev_environment)"
    )
    assert path.read_text(encoding="utf-8") == text


def test_write_settings_fails_on_a_missing_file(tmp_path):
    with pytest.raises(layout.RenderError, match=r"^pipelines/config/dev.yml: no such file .*for model_name"):
        layout.write_settings(
            tmp_path,
            tmp_path / "pipelines/config/dev.yml",
            layout.set_yaml_scalars,
            {"modelName": "m"},
            {"modelName": "model_name"},
        )


ANSWERS = {
    "project_slug": "demo",
    "dev_environment": "dev",
    "prod_environment": "prod",
    "model_name": "demo-model",
    "location": "eastus",
    "network_mode": "private",
    "infrastructure": "terraform",
}


def _project(tmp_path, tool):
    """A project holding copies of the template's configuration files for `tool`."""
    project = tmp_path / "project"
    for pattern in ("pipelines/config/*.yml", f"infrastructure/{tool}/environments/*"):
        for source in sorted(REPO.glob(pattern)):
            _write(project, source.relative_to(REPO).as_posix(), source.read_text(encoding="utf-8"))
    return project


@pytest.mark.parametrize("tool", ["terraform", "bicep"])
def test_apply_settings_writes_every_answer(tmp_path, tool):
    project = _project(tmp_path, tool)
    layout.apply_settings(project, {**ANSWERS, "infrastructure": tool}, sample="data-science/data/x.csv")
    config = (project / "pipelines/config/prod.yml").read_text(encoding="utf-8")
    assert "  resourceGroup: rg-demo-prod\n" in config
    assert "  batchInput: data-science/data/x.csv\n" in config
    assert "# Settings of the dev environment" in (project / "pipelines/config/dev.yml").read_text("utf-8")
    if tool == "terraform":
        tfvars = (project / "infrastructure/terraform/environments/dev.tfvars").read_text("utf-8")
        assert 'network_mode                         = "private"' in tfvars
        backend = (project / "infrastructure/terraform/environments/prod.tfbackend").read_text("utf-8")
        assert 'key                  = "demo-prod.tfstate"' in backend
    else:
        path = project / "infrastructure/bicep/environments/prod.parameters.json"
        parameters = json.loads(path.read_text(encoding="utf-8"))["parameters"]
        assert parameters["location"]["value"] == "eastus"
        assert parameters["workloadName"]["value"] == "demo"


@pytest.mark.parametrize(
    ("tool", "remove", "message"),
    [
        ("terraform", "pipelines/config/dev.yml", "pipelines/config/dev.yml: no such file"),
        (
            "terraform",
            "infrastructure/terraform/environments/dev.tfvars",
            "infrastructure/terraform: no 'dev.tfvars' file",
        ),
        (
            "terraform",
            "infrastructure/terraform/environments/prod.tfbackend",
            "infrastructure/terraform: no 'prod.tfbackend' file",
        ),
        (
            "bicep",
            "infrastructure/bicep/environments/dev.parameters.json",
            "infrastructure/bicep: no 'dev.parameters.json' or 'dev.bicepparam' file",
        ),
    ],
)
def test_apply_settings_fails_on_a_missing_file(tmp_path, tool, remove, message):
    project = _project(tmp_path, tool)
    (project / remove).unlink()
    with pytest.raises(layout.RenderError, match=f"^{message}"):
        layout.apply_settings(project, {**ANSWERS, "infrastructure": tool})


def test_apply_settings_fails_on_a_renamed_key(tmp_path):
    project = _project(tmp_path, "terraform")
    config = project / "pipelines/config/prod.yml"
    config.write_text(config.read_text("utf-8").replace("  workspaceName:", "  workspace:"), "utf-8")
    with pytest.raises(layout.RenderError) as failure:
        layout.apply_settings(project, ANSWERS)
    assert str(failure.value) == (
        "pipelines/config/prod.yml: no 'workspaceName' to set "
        "(expected by the renderer for project_slug, prod_environment)"
    )


def test_ci_defaults_require_the_dialects_deployment_parameters(tmp_path):
    answers = {"infrastructure": "bicep", "deployment": "batch", "ci_platform": "azure-devops"}
    pipeline = _write(
        tmp_path,
        ".azure-pipelines/deploy.yml",
        "parameters:\n  - name: tool\n    default: terraform\n  - name: deployOnline\n    default: true\n"
        "  - name: deployBatch\n    default: false\n",
    )
    layout._ci_defaults(tmp_path, answers)
    text = pipeline.read_text(encoding="utf-8")
    assert "default: bicep" in text
    assert "deployOnline\n    default: false" in text
    assert "deployBatch\n    default: true" in text
    pipeline.write_text(text.replace("deployBatch", "deployBatches"), encoding="utf-8")
    with pytest.raises(layout.RenderError, match=r"^\.azure-pipelines: no 'deployBatch' parameter"):
        layout._ci_defaults(tmp_path, answers)
    _write(tmp_path, ".github/workflows/deploy.yml", "on:\n  workflow_dispatch:\n    inputs: {}\n")
    with pytest.raises(
        layout.RenderError, match=r"^\.github/workflows, \.github/actions: no 'deploy-online'"
    ):
        layout._ci_defaults(tmp_path, {**answers, "ci_platform": "github-actions"})


PIPELINE = """trigger: none

resources:
  repositories:
    # The step library.
    - repository: templates
      type: git
      name: platform/amlops-templates
      ref: refs/tags/v1.0.0

jobs:
  - template: jobs/test-project.yml@templates
"""


def test_drop_repository_removes_the_entry_and_empty_keys():
    out = layout._drop_repository(PIPELINE, "templates")
    assert "resources" not in out
    assert "repositories" not in out
    assert "jobs:\n  - template: jobs/test-project.yml@templates" in out


def test_set_repository_sets_name_and_ref():
    out = layout._set_repository(PIPELINE, "templates", "contoso/steps", "v2.0.0")
    assert "name: contoso/steps" in out
    assert "ref: refs/tags/v2.0.0" in out
    assert "type: git" in out


@pytest.mark.parametrize(
    ("key", "answer"), [("name", "step_library_repository"), ("ref", "step_library_ref")]
)
def test_set_repository_fails_naming_the_file_when_name_or_ref_is_missing(key, answer):
    text = PIPELINE.replace(f"      {key}:", f"      # {key}:")
    with pytest.raises(layout.RenderError) as failure:
        layout._set_repository(
            text, "templates", "contoso/steps", "v2.0.0", where="pipelines/azure-devops/x.yml"
        )
    assert str(failure.value) == (
        f"pipelines/azure-devops/x.yml: the '- repository: templates' entry has no '{key}:' to set "
        f"(expected by the renderer for {answer})"
    )


def test_workload_name_fits_the_infrastructure_rule():
    assert layout.workload_name("my-mlops-project") == "mymlopspro"


def test_yaml_settings_are_read_back_with_pyyaml(tmp_path):
    # A block scalar is not a one-line value: the line edit breaks it, and the read-back says so.
    path = _write(tmp_path, "pipelines/config/dev.yml", "variables:\n  modelName: |\n    old\n")
    with pytest.raises(
        layout.RenderError, match=r"^pipelines/config/dev.yml: 'modelName' reads back as 'm old'"
    ):
        layout.write_settings(tmp_path, path, layout.set_yaml_scalars, {"modelName": "m"}, {"modelName": "x"})
    assert path.read_text(encoding="utf-8") == "variables:\n  modelName: |\n    old\n"


def test_yaml_read_back_is_skipped_without_pyyaml(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # `import yaml` raises ImportError, as in a bare Python
    path = _write(tmp_path, "pipelines/config/dev.yml", "variables:\n  modelName: old  # c\n")
    layout.write_settings(tmp_path, path, layout.set_yaml_scalars, {"modelName": "m"}, {"modelName": "x"})
    assert path.read_text(encoding="utf-8") == "variables:\n  modelName: m  # c\n"


WORKFLOW = "name: ci\non: push\njobs:\n  build:\n    runs-on: x\n    steps: [{run: make}]\n"


def _project_with_readme(tmp_path: Path, readme: str) -> Path:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW, encoding="utf-8")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    return tmp_path


def test_pipeline_diagrams_replace_the_marker_with_the_template_s_drawing(tmp_path):
    from amlops.graph.readme import diagrams

    project = _project_with_readme(tmp_path, f"# P\n\n## Pipelines\n\n{layout.PIPELINES_MARKER}\n\n## Next\n")
    layout.pipeline_diagrams(project, REPO)
    text = (project / "README.md").read_text(encoding="utf-8")
    assert layout.PIPELINES_MARKER not in text
    assert text == f"# P\n\n## Pipelines\n\n{diagrams(project).rstrip()}\n\n## Next\n"
    assert "\n%% ci (.github/workflows/ci.yml), drawn by amlops graph\n" in text


def test_pipeline_diagrams_need_the_marker(tmp_path):
    project = _project_with_readme(tmp_path, "# P\n")
    with pytest.raises(
        layout.RenderError, match=re.escape("README.md: no '<!-- amlops:pipelines -->' to set")
    ):
        layout.pipeline_diagrams(project, REPO)


def test_a_pipeline_that_cannot_be_drawn_fails_generation_naming_it(tmp_path):
    project = _project_with_readme(tmp_path, layout.PIPELINES_MARKER + "\n")
    (project / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW + "    needs: nothing\n")
    with pytest.raises(
        layout.RenderError, match=r"\.github/workflows/ci\.yml:4: job 'build' needs 'nothing'"
    ):
        layout.pipeline_diagrams(project, REPO)
    assert layout.PIPELINES_MARKER in (project / "README.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------- monitor schedule
def _specs(project: Path) -> Path:
    """The template's Azure ML specs, copied into `project`; returns the monitor schedule's path."""
    for source in sorted((REPO / "pipelines" / "azureml").glob("*.yml")):
        _write(project, source.relative_to(REPO).as_posix(), source.read_text(encoding="utf-8"))
    return project / layout.MONITOR_SCHEDULE


def _ml_task(schedule: Path) -> str:
    import yaml

    document = yaml.safe_load(schedule.read_text(encoding="utf-8"))
    return document["create_monitor"]["monitoring_target"]["ml_task"]


def test_the_monitor_schedule_gets_the_task_of_the_chosen_contract(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(REPO / "data-science" / "examples", project / "data-science" / "examples")
    shutil.copy2(REPO / "data-science" / "contract.yml", project / "data-science" / "contract.yml")
    schedule = _specs(project)
    before = schedule.read_text(encoding="utf-8")
    assert _ml_task(schedule) == "regression"
    layout._task(project / "data-science", "classification")
    assert layout.contract_task(project / layout.CONTRACT) == "classification"
    layout.set_monitor_task(project)
    assert _ml_task(schedule) == "classification"
    assert schedule.read_text(encoding="utf-8") == before.replace(
        "    ml_task: regression\n", "    ml_task: classification\n"
    ), "only ml_task changes"


def test_the_template_s_schedule_already_holds_the_template_s_task(tmp_path):
    project = tmp_path / "project"
    _write(project, layout.CONTRACT, (REPO / layout.CONTRACT).read_text(encoding="utf-8"))
    schedule = _specs(project)
    before = schedule.read_text(encoding="utf-8")
    layout.set_monitor_task(project)
    assert schedule.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("deployment", "kept"), [("batch", False), ("online", True), ("online-and-batch", True)]
)
def test_only_online_projects_have_a_monitor_schedule(tmp_path, deployment, kept):
    project = tmp_path / "project"
    schedule = _specs(project)
    layout._deployment_specs(project / "pipelines" / "azureml", deployment)
    assert schedule.is_file() is kept
    if not kept:
        layout.set_monitor_task(project)  # nothing to set, and no contract needed for it
        assert not schedule.exists()


def test_a_monitor_schedule_without_ml_task_fails_naming_the_file_and_key(tmp_path):
    project = tmp_path / "project"
    _write(project, layout.CONTRACT, "name: x\ntask: classification\ntarget: y\n")
    schedule = _specs(project)
    text = schedule.read_text(encoding="utf-8").replace("    ml_task: regression\n", "")
    schedule.write_text(text, encoding="utf-8")
    with pytest.raises(layout.RenderError) as failure:
        layout.set_monitor_task(project)
    assert str(failure.value) == (
        "pipelines/azureml/online-monitor-schedule.yml: no 'ml_task' to set "
        "(expected by the renderer for task)"
    )
    assert schedule.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    ("contract", "problem"), [(None, "no such file"), ("name: x\n", "no 'task:' to read")]
)
def test_a_monitor_schedule_needs_the_contract_s_task(tmp_path, contract, problem):
    project = tmp_path / "project"
    if contract is not None:
        _write(project, layout.CONTRACT, contract)
    schedule = _specs(project)
    before = schedule.read_text(encoding="utf-8")
    with pytest.raises(layout.RenderError) as failure:
        layout.set_monitor_task(project)
    assert str(failure.value) == (
        f"data-science/contract.yml: {problem} (expected by the renderer for the ml_task of "
        "pipelines/azureml/online-monitor-schedule.yml)"
    )
    assert schedule.read_text(encoding="utf-8") == before
