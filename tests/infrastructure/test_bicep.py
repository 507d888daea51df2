"""Bicep tree: every file parses (pycep-parser), modules follow the conventions (AVM-style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amlops.infra import check, iac_eval

INFRASTRUCTURE = Path(__file__).resolve().parents[2] / "infrastructure"

TREE = INFRASTRUCTURE / "bicep"
FILES = sorted(TREE.rglob("*.bicep"))
MODULES = sorted((TREE / "modules").glob("*/main.bicep"))
DESCRIPTION = re.compile(r"^(Required|Optional|Conditional)\. \S")
# role-assignments makes many assignments at three scopes, promotion-access two at two scopes in another
# environment's resource group: no single resource ID or name to return.
WITHOUT_STANDARD_OUTPUTS = {"role-assignments", "promotion-access"}


def test_every_file_parses() -> None:
    assert len(FILES) >= 10
    assert check.bicep_parse_errors(TREE) == []


def test_main_targets_the_subscription_and_calls_every_module() -> None:
    main = iac_eval.BicepFile.load(TREE / "main.bicep")
    assert main.document["globals"]["scope"]["value"] == "subscription"
    called = {str(module["detail"]["path"]) for module in main.modules.values()}
    assert called == {str(path.relative_to(TREE)) for path in MODULES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TREE)))
def test_parameters_are_described(path) -> None:
    for name, body in iac_eval.BicepFile.load(path).parameters.items():
        descriptions = [d["argument"] for d in body["decorators"] if d["type"] == "description"]
        assert descriptions, f"{path.name}: param {name} has no description"
        assert DESCRIPTION.match(descriptions[0]), f"{path.name}: param {name}: {descriptions[0]!r}"
        required = body.get("default") is None
        assert descriptions[0].startswith("Required.") == required or descriptions[0].startswith(
            "Conditional."
        ), f"{path.relative_to(TREE)}: param {name} description does not match its default"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.parent.name)
def test_standard_outputs(path) -> None:
    outputs = iac_eval.BicepFile.load(path).outputs
    if path.parent.name not in WITHOUT_STANDARD_OUTPUTS:
        assert {"resourceId", "name"} <= set(outputs), f"{path.parent.name}: outputs {sorted(outputs)}"
    for name, body in outputs.items():
        assert any(d["type"] == "description" for d in body["decorators"]), f"{path.parent.name}: {name}"


def test_enums_are_declared_not_described() -> None:
    for path in FILES:
        for name, body in iac_eval.BicepFile.load(path).parameters.items():
            description = next(d["argument"] for d in body["decorators"] if d["type"] == "description")
            if "one of" in description:
                assert any(d["type"] == "allowed" for d in body["decorators"]), f"{path.name}: {name}"


@pytest.mark.parametrize("environment", check.ENVIRONMENTS)
def test_parameter_files_set_only_declared_parameters(environment: str) -> None:
    main = iac_eval.BicepFile.load(TREE / "main.bicep")
    values = iac_eval.load_parameters_json(TREE / "environments" / f"{environment}.parameters.json")
    assert set(values) <= set(main.parameters), sorted(set(values) - set(main.parameters))
    assert values["environmentName"] == environment
    for name, value in values.items():
        allowed = [d["argument"] for d in main.parameters[name]["decorators"] if d["type"] == "allowed"]
        assert not allowed or value in allowed[0], f"{environment}: {name}={value!r} not in {allowed[0]}"


@pytest.mark.parametrize("mode", check.NETWORK_MODES)
def test_rendering_binds_the_mode_into_module_defaults(tmp_path, mode: str) -> None:
    rendered = check.render_bicep(TREE, "prod", mode, tmp_path / "rendered")
    storage = (rendered / "modules" / "storage-account" / "main.bicep").read_text()
    expected = "Disabled" if mode == "private" else "Enabled"
    assert f"param publicNetworkAccess_storage_account string = '{expected}'" in storage
    assert "publicNetworkAccess: publicNetworkAccess_storage_account" in storage
    assert check.bicep_parse_errors(rendered) == []
