"""Naming: a pure Python reference of the scheme, checked against Azure's limits over many inputs, and both
trees' name expressions evaluated and compared with it; each module's own name validation must accept them."""

from __future__ import annotations

import random
import re
import string
from functools import cache
from pathlib import Path

import pytest

from amlops.infra import iac_eval

INFRASTRUCTURE = Path(__file__).resolve().parents[2] / "infrastructure"

TF = INFRASTRUCTURE / "terraform"
BICEP = INFRASTRUCTURE / "bicep"
ENVIRONMENTS = ("dev", "test", "prod")
SUBRESOURCES = ("amlworkspace", "blob", "file", "vault", "registry")

# Azure's rules (length, characters) for each name, as documented per resource type.
LIMITS: dict[str, tuple[int, int, str]] = {
    "resource_group": (1, 90, r"[A-Za-z0-9_.()-]*[A-Za-z0-9_()-]"),
    "log_analytics_workspace": (4, 63, r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]"),
    "application_insights": (1, 260, r"[^%&\\?/]+"),
    "key_vault": (3, 24, r"[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]"),
    "storage_account": (3, 24, r"[a-z0-9]+"),
    "container_registry": (5, 50, r"[A-Za-z0-9]+"),
    "machine_learning": (3, 33, r"[A-Za-z0-9][A-Za-z0-9_-]*"),
    "compute_cluster": (2, 16, r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]"),
    "pipeline_identity": (3, 128, r"[A-Za-z0-9][A-Za-z0-9_-]*"),
    "virtual_network": (2, 64, r"[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_]"),
    "private_endpoint": (2, 64, r"[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_]"),
    "event_grid_system_topic": (3, 128, r"[A-Za-z0-9-]+"),
}


def reference_names(workload: str, environment: str, suffix: str) -> dict[str, str]:
    """The naming scheme, written once in Python: what both trees must produce."""
    base, flat = f"{workload}-{environment}-{suffix}", f"{workload}{environment}{suffix}"
    names = {
        "resource_group": f"rg-{workload}-{environment}",
        "log_analytics_workspace": f"log-{base}",
        "application_insights": f"appi-{base}",
        "key_vault": f"kv-{base}",
        "storage_account": f"st{flat}",
        "container_registry": f"cr{flat}",
        "machine_learning": f"mlw-{base}",
        "compute_cluster": "cpu-cluster",
        "pipeline_identity": f"id-{base}",
        "virtual_network": f"vnet-{base}",
        "event_grid_system_topic": f"egst-{base}",
    }
    names.update({f"private_endpoint:{s}": f"pe-{base}-{s}" for s in SUBRESOURCES})
    return names


def limit_violations(names: dict[str, str]) -> list[str]:
    problems = []
    for key, name in names.items():
        low, high, pattern = LIMITS[key.split(":")[0]]
        if not (low <= len(name) <= high and re.fullmatch(pattern, name)):
            problems.append(f"{key}={name!r} breaks {low}-{high} {pattern}")
    return problems


def samples(count: int = 300, seed: int = 7) -> list[tuple[str, str, str]]:
    """Workload names across the allowed space (2-10 lowercase alnum, letter first), every environment."""
    rng = random.Random(seed)
    alphabet = string.ascii_lowercase + string.digits
    cases = []
    for index in range(count):
        length = 2 + index % 9
        workload = rng.choice(string.ascii_lowercase) + "".join(rng.choices(alphabet, k=length - 1))
        suffix = "".join(rng.choices(alphabet, k=5))
        cases.append((workload, ENVIRONMENTS[index % 3], suffix))
    cases.append(("ab", "dev", "00000"))
    cases.append(("abcdefghij", "prod", "zzzzz"))
    return cases


def test_reference_names_respect_azure_limits_over_the_whole_input_space() -> None:
    for workload, environment, suffix in samples():
        assert limit_violations(reference_names(workload, environment, suffix)) == []


def test_the_workload_limit_is_what_keeps_key_vault_names_valid() -> None:
    """Guard against loosening the input validation: one more character breaks Key Vault's 24."""
    assert limit_violations(reference_names("abcdefghijk", "prod", "zzzzz")) == [
        "key_vault='kv-abcdefghijk-prod-zzzzz' breaks 3-24 [A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]"
    ]


load_tf = cache(iac_eval.TerraformModule.load)
load_bicep = cache(iac_eval.BicepFile.load)


def terraform_names(workload: str, environment: str, suffix: str) -> dict[str, str]:
    root = load_tf(TF)
    scope = root.scope(
        {"workload_name": workload, "environment_name": environment}, {"local.name_suffix": suffix}
    )
    names = scope.resolve("local.names")
    prefix = names.pop("private_endpoint_prefix")
    names.update({f"private_endpoint:{s}": f"{prefix}-{s}" for s in SUBRESOURCES})
    return names


def bicep_names(workload: str, environment: str, suffix: str) -> dict[str, str]:
    main = load_bicep(BICEP / "main.bicep")
    scope = main.scope({"workloadName": workload, "environmentName": environment}, {"nameSuffix": suffix})
    names = scope.resolve("names")
    prefix = names.pop("privateEndpointPrefix")
    names = {re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower(): value for key, value in names.items()}
    names.update({f"private_endpoint:{s}": f"{prefix}-{s}" for s in SUBRESOURCES})
    return names


@pytest.mark.parametrize("tree_names", [terraform_names, bicep_names], ids=["terraform", "bicep"])
def test_trees_produce_the_reference_names(tree_names) -> None:
    for workload, environment, suffix in samples(60):
        assert tree_names(workload, environment, suffix) == reference_names(workload, environment, suffix)


def test_input_validation_matches_the_reference_space() -> None:
    variables = load_tf(TF).variables
    condition = variables["workload_name"]["validation"][0]["condition"]
    assert '"^[a-z][a-z0-9]{1,9}$"' in condition
    assert 'contains(["dev", "test", "prod"]' in variables["environment_name"]["validation"][0]["condition"]
    main = load_bicep(BICEP / "main.bicep").parameters
    decorators = {d["type"]: d["argument"] for d in main["workloadName"]["decorators"]}
    assert (decorators["min_length"], decorators["max_length"]) == (2, 10)
    environments = {d["type"]: d["argument"] for d in main["environmentName"]["decorators"]}
    assert environments["allowed"] == list(ENVIRONMENTS)


# name key -> (Terraform module folder, variable; Bicep module folder, parameter)
MODULE_NAME_INPUTS = {
    "log_analytics_workspace": ("monitoring", "log_analytics_workspace_name", "logAnalyticsWorkspaceName"),
    "application_insights": ("monitoring", "application_insights_name", "applicationInsightsName"),
    "key_vault": ("key-vault", "name", "name"),
    "storage_account": ("storage-account", "name", "name"),
    "container_registry": ("container-registry", "name", "name"),
    "machine_learning": ("machine-learning", "name", "name"),
    "compute_cluster": ("machine-learning", "compute_cluster_name", "computeClusterName"),
    "pipeline_identity": ("pipeline-identity", "name", "name"),
    "virtual_network": ("network", "name", "name"),
    "private_endpoint": ("private-endpoint", "name", "name"),
    "event_grid_system_topic": ("model-events", "name", "name"),
}


def terraform_validation_regex(module: str, variable: str) -> re.Pattern[str]:
    body = load_tf(TF / "modules" / module).variables[variable]
    condition = body["validation"][0]["condition"]
    match = re.search(r'regex\(\\?"((?:[^"\\]|\\.)*?)\\?",', condition)
    assert match, f"{module}.{variable}: no regex() in its validation"
    return re.compile(match.group(1).replace("\\\\", "\\"))


@pytest.mark.parametrize("key", sorted(MODULE_NAME_INPUTS))
def test_module_name_validation_matches_azure_limits(key: str) -> None:
    module, variable, parameter = MODULE_NAME_INPUTS[key]
    low, high, _ = LIMITS[key]
    pattern = terraform_validation_regex(module, variable)
    decorators = load_bicep(BICEP / "modules" / module / "main.bicep").parameters[parameter]
    lengths = {d["type"]: d["argument"] for d in decorators["decorators"]}
    assert (lengths["min_length"], lengths["max_length"]) == (low, high), f"bicep {module}.{parameter}"
    for workload, environment, suffix in samples(60):
        for name_key, name in reference_names(workload, environment, suffix).items():
            if name_key.split(":")[0] == key:
                assert pattern.fullmatch(name), f"terraform {module}.{variable} rejects {name!r}"
    shortest, longest = "a" * low, "a" * high
    assert pattern.fullmatch(longest)
    assert not pattern.fullmatch(longest + "a")
    assert low == 1 or not pattern.fullmatch(shortest[:-1])
