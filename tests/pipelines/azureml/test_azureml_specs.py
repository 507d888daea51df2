"""Azure ML specs: each loads with azure-ai-ml offline, and our own contract tests cover what it lets through.

azure-ai-ml accepts unknown keys in components, drops unknown step inputs and lets an undeclared
`${{parent.inputs.x}}` pass, so the tests below check every command placeholder and every binding
against the declarations, and run each component command through its module's own argument parser.
`load_batch_deployment` rejects the current `type: model` + `settings:` format, so the batch deployment
is validated with azure-ai-ml's own `ModelBatchDeploymentSchema` (the internal marshmallow schema the
model-deployment loader uses), which checks field names, enums and the referenced files.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
COMPONENTS = sorted((REPO / "data-science" / "components").glob("*.yml"))
AZUREML = REPO / "pipelines" / "azureml"
PIPELINE = AZUREML / "train-pipeline.yml"
PLACEHOLDER = re.compile(r"\$\{\{\s*(inputs|outputs)\.(\w+)\s*\}\}")
OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _module(spec: dict) -> str:
    match = re.search(r"python -m (datascience\.\w+)", spec["command"])
    assert match, "component commands run `python -m datascience.<name>`"
    return match.group(1)


def test_there_is_a_component_per_module():
    names = {p.stem for p in COMPONENTS}
    assert names == {"validate", "prep", "train", "evaluate", "batch_score", "drift"}


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda p: p.stem)
def test_component_loads_with_azure_ai_ml(path):
    from azure.ai.ml import load_component

    component = load_component(source=path)
    assert component.type == "command"
    assert component.code is not None
    spec = _yaml(path)
    assert (path.parent / spec["code"] / (_module(spec).replace(".", "/") + ".py")).is_file()
    assert (path.parent / spec["environment"]["conda_file"]).is_file()
    assert not spec["environment"]["image"].endswith(":latest")


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda p: p.stem)
def test_component_placeholders_are_declared_and_optionals_guarded(path):
    spec = _yaml(path)
    command = spec["command"]
    declared = {"inputs": set(spec.get("inputs", {})), "outputs": set(spec.get("outputs", {}))}
    used = {(kind, name) for kind, name in PLACEHOLDER.findall(command)}
    undeclared = sorted(f"{k}.{n}" for k, n in used if n not in declared[k])
    assert undeclared == []
    unused = sorted(f"{k}.{n}" for k in declared for n in declared[k] if (k, n) not in used)
    assert unused == []
    outside_blocks = OPTIONAL_BLOCK.sub("", command)
    for name, item in spec.get("inputs", {}).items():
        guarded = f"inputs.{name}" not in outside_blocks.replace(" ", "")
        assert guarded == bool(item.get("optional")), f"{name}: optional inputs, and only they, go in $[[ ]]"
    for section in ("inputs", "outputs"):
        for name, item in spec.get(section, {}).items():
            assert item.get("description"), f"{section}.{name} needs a description"


@pytest.mark.parametrize("path", COMPONENTS, ids=lambda p: p.stem)
@pytest.mark.parametrize("with_optionals", [True, False])
def test_component_command_parses_with_its_module(path, with_optionals):
    """Substitute every placeholder and feed the command to the module's own build_parser()."""
    spec = _yaml(path)
    command = spec["command"]
    command = OPTIONAL_BLOCK.sub(lambda m: m.group(1) if with_optionals else "", command)
    # a value of each literal type (the only string input, drift's `since`, is an ISO 8601 time)
    values = {"integer": "3", "number": "0.5", "string": "2026-12-01T06:00:00Z"}

    def value(match: re.Match) -> str:
        kind, name = match.groups()
        item = spec[kind][name]
        return values.get(item["type"], f"/mnt/{kind}/{name}")

    argv = shlex.split(PLACEHOLDER.sub(value, command))
    assert argv[:3] == ["python", "-m", _module(spec)]
    module = importlib.import_module(_module(spec))
    module.build_parser().parse_args(argv[3:])  # exits (SystemExit 2) on an unknown or missing option


def _pipeline_steps() -> dict:
    return _yaml(PIPELINE)["jobs"]


def test_pipeline_loads_with_azure_ai_ml():
    from azure.ai.ml import load_job

    job = load_job(source=PIPELINE)
    assert list(job.jobs) == ["validate", "prep", "train", "evaluate"]
    spec = _yaml(PIPELINE)
    assert spec["inputs"]["raw_data"]["type"] == "uri_file"
    assert spec["inputs"]["contract"]["type"] == "uri_file"
    assert isinstance(spec["inputs"]["seed"], int)
    assert spec["outputs"]["model_bundle"]["type"] == "uri_folder"


def test_pipeline_bindings_name_declared_things():
    spec = _yaml(PIPELINE)
    steps = spec["jobs"]
    for name, step in steps.items():
        component = _yaml((PIPELINE.parent / step["component"]).resolve())
        inputs, outputs = component.get("inputs", {}), component.get("outputs", {})
        assert set(step.get("inputs", {})) <= set(inputs), f"{name}: binds an undeclared input"
        assert set(step.get("outputs", {})) <= set(outputs), f"{name}: binds an undeclared output"
        required = {k for k, v in inputs.items() if not v.get("optional") and "default" not in v}
        assert required <= set(step.get("inputs", {})), f"{name}: leaves a required input unbound"
        for value in step.get("inputs", {}).values():
            for ref in re.findall(r"\$\{\{\s*parent\.inputs\.(\w+)\s*\}\}", str(value)):
                assert ref in spec["inputs"], f"{name}: parent.inputs.{ref} is not declared"
            for job, out in re.findall(r"\$\{\{\s*parent\.jobs\.(\w+)\.outputs\.(\w+)\s*\}\}", str(value)):
                assert job in steps, f"{name}: no step {job}"
                upstream = _yaml((PIPELINE.parent / steps[job]["component"]).resolve())
                assert out in upstream["outputs"], f"{name}: {job} has no output {out}"
        for value in step.get("outputs", {}).values():
            for ref in re.findall(r"\$\{\{\s*parent\.outputs\.(\w+)\s*\}\}", str(value)):
                assert ref in spec["outputs"]


def test_prep_depends_on_validate_through_data():
    steps = _pipeline_steps()
    assert steps["prep"]["inputs"]["validation_report"] == "${{parent.jobs.validate.outputs.report}}"
    assert steps["evaluate"]["outputs"]["bundle"] == "${{parent.outputs.model_bundle}}"


def test_online_endpoint_and_deployment_load():
    from azure.ai.ml import load_online_deployment, load_online_endpoint

    endpoint = load_online_endpoint(source=AZUREML / "online-endpoint.yml")
    deployment = load_online_deployment(source=AZUREML / "online-deployment.yml")
    assert deployment.endpoint_name == endpoint.name
    spec = _yaml(AZUREML / "online-deployment.yml")
    assert re.fullmatch(r"azureml:[\w-]+:\d+", spec["model"]), "an explicit version, never @latest"
    code = AZUREML / spec["code_configuration"]["code"]
    assert (code / spec["code_configuration"]["scoring_script"]).is_file()


def test_batch_endpoint_and_deployment_validate():
    from azure.ai.ml import load_batch_endpoint
    from azure.ai.ml._schema._deployment.batch.model_batch_deployment import ModelBatchDeploymentSchema
    from azure.ai.ml.constants._common import BASE_PATH_CONTEXT_KEY
    from marshmallow import ValidationError

    endpoint = load_batch_endpoint(source=AZUREML / "batch-endpoint.yml")
    spec = _yaml(AZUREML / "batch-deployment.yml")
    schema = ModelBatchDeploymentSchema(context={BASE_PATH_CONTEXT_KEY: AZUREML})
    deployment = schema.load(spec)
    assert deployment.endpoint_name == endpoint.name
    assert re.fullmatch(r"azureml:[\w-]+:\d+", spec["model"])
    code = AZUREML / spec["code_configuration"]["code"]
    assert (code / spec["code_configuration"]["scoring_script"]).is_file()
    with pytest.raises(ValidationError, match="output_action"):
        schema.load({**spec, "settings": {**spec["settings"], "output_action": "bogus"}})


def test_data_asset_loads():
    from azure.ai.ml import load_data

    asset = load_data(source=AZUREML / "data-asset.yml")
    assert asset.type == "uri_file"
    assert Path(asset.path).is_file()
