"""Parity: both trees build the same resources with the same security-relevant settings, for every
environment and network mode, and expose the same outputs. Settings are evaluated from the parameter files
through the module calls; a setting missing or different in one tree fails naming the resource and setting."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from amlops.infra import check, iac_eval

INFRASTRUCTURE = Path(__file__).resolve().parents[2] / "infrastructure"

TF = INFRASTRUCTURE / "terraform"
BICEP = INFRASTRUCTURE / "bicep"
COMBINATIONS = [(e, m) for e in check.ENVIRONMENTS for m in check.NETWORK_MODES]

TF_KINDS = {
    "azurerm_resource_group": "resource group",
    "random_string": None,  # the name suffix: Bicep derives it with uniqueString()
    "azurerm_log_analytics_workspace": "log analytics workspace",
    "azurerm_application_insights": "application insights",
    "azurerm_key_vault": "key vault",
    "azurerm_monitor_diagnostic_setting": "key vault audit logs",
    "azurerm_storage_account": "storage account",
    "azurerm_container_registry": "container registry",
    "azurerm_machine_learning_workspace": "machine learning workspace",
    "azapi_update_resource": "machine learning workspace",  # sets systemDatastoresAuthMode
    "azurerm_machine_learning_compute_cluster": "compute cluster",
    "azurerm_user_assigned_identity": "pipeline identity",
    "azurerm_federated_identity_credential": "federated credential",
    "azurerm_role_assignment": "role assignment",
    "azurerm_virtual_network": "virtual network",
    "azurerm_subnet": "virtual network",  # a subnets entry of the virtual network in Bicep
    "azurerm_subnet_network_security_group_association": "virtual network",
    "azurerm_network_security_group": "network security group",
    "azurerm_private_dns_zone": "private dns zone",
    "azurerm_private_dns_zone_virtual_network_link": "private dns zone link",
    "azurerm_private_endpoint": "private endpoint",
    "azurerm_eventgrid_system_topic": "event grid system topic",
    "azurerm_eventgrid_system_topic_event_subscription": "event subscription",
    "azurerm_storage_container": "dead-letter container",
}
BICEP_KINDS = {
    "Microsoft.Resources/resourceGroups": "resource group",
    "Microsoft.OperationalInsights/workspaces": "log analytics workspace",
    "Microsoft.Insights/components": "application insights",
    "Microsoft.KeyVault/vaults": "key vault",
    "Microsoft.Insights/diagnosticSettings": "key vault audit logs",
    "Microsoft.Storage/storageAccounts": "storage account",
    "Microsoft.Storage/storageAccounts/blobServices": "storage account",  # blob_properties in Terraform
    "Microsoft.ContainerRegistry/registries": "container registry",
    "Microsoft.MachineLearningServices/workspaces": "machine learning workspace",
    "Microsoft.MachineLearningServices/workspaces/computes": "compute cluster",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "pipeline identity",
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": "federated credential",
    "Microsoft.Authorization/roleAssignments": "role assignment",
    "Microsoft.Network/virtualNetworks": "virtual network",
    "Microsoft.Network/networkSecurityGroups": "network security group",
    "Microsoft.Network/privateDnsZones": "private dns zone",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "private dns zone link",
    "Microsoft.Network/privateEndpoints": "private endpoint",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups": "private endpoint",  # inline in Terraform
    "Microsoft.EventGrid/systemTopics": "event grid system topic",
    "Microsoft.EventGrid/systemTopics/eventSubscriptions": "event subscription",
    "Microsoft.Storage/storageAccounts/blobServices/containers": "dead-letter container",
}


@cache
def tf_module(path: str) -> iac_eval.TerraformModule:
    return iac_eval.TerraformModule.load(TF / path)


@cache
def bicep_file(path: str) -> iac_eval.BicepFile:
    return iac_eval.BicepFile.load(BICEP / path)


def tf_resource_types() -> set[str]:
    types = set(tf_module(".").resources)
    for module in (TF / "modules").iterdir():
        types |= set(tf_module(f"modules/{module.name}").resources)
    return types


def bicep_resource_types() -> set[str]:
    types = set()
    for path in BICEP.rglob("*.bicep"):
        types |= {
            r["type"]
            for r in bicep_file(str(path.relative_to(BICEP))).resources.values()
            if not r["existing"]
        }
    return types


def test_every_resource_type_is_classified() -> None:
    assert tf_resource_types() <= set(TF_KINDS), sorted(tf_resource_types() - set(TF_KINDS))
    assert bicep_resource_types() <= set(BICEP_KINDS), sorted(bicep_resource_types() - set(BICEP_KINDS))


def test_same_resources() -> None:
    terraform = {TF_KINDS[t] for t in tf_resource_types()} - {None}
    bicep = {BICEP_KINDS[t] for t in bicep_resource_types()}
    assert sorted(terraform - bicep) == [], "resources only in Terraform"
    assert sorted(bicep - terraform) == [], "resources only in Bicep"


# ---------------------------------------------------------------------------------------------- settings


def tf_scope(environment: str, mode: str) -> iac_eval.TerraformScope:
    values = iac_eval.load_tfvars(TF / "environments" / f"{environment}.tfvars")
    values["network_mode"] = mode
    return tf_module(".").scope(values, {"local.name_suffix": "a1b2c"})


def tf_setting(environment: str, mode: str, call: str, rtype: str, path: str) -> Any:
    root = tf_scope(environment, mode)
    declaration = tf_module(".").modules[call]
    source = root.evaluate(declaration["source"]).removeprefix("./")
    module = tf_module(source)
    inputs = {k: root.evaluate(v) for k, v in declaration.items() if not k.startswith("__")}
    scope = module.scope(inputs)
    resources = module.resources[rtype]
    body = next(iter(resources.values()))
    value = iac_eval.get_path(body, path)
    return None if value is None else scope.evaluate(value)


def bicep_setting(environment: str, mode: str, call: str, rtype: str, path: str) -> Any:
    main = bicep_file("main.bicep")
    values = iac_eval.load_parameters_json(BICEP / "environments" / f"{environment}.parameters.json")
    values["networkMode"] = mode
    root = main.scope(values, {"nameSuffix": "a1b2c"})
    declaration = main.modules[call]
    _, _, params = iac_eval.module_call(declaration)
    module = bicep_file(str(declaration["detail"]["path"]))
    scope = module.scope({k: root.evaluate(v) for k, v in params.items()})
    body = next(r for r in module.resources.values() if r["type"] == rtype and not r["existing"])["config"]
    value = iac_eval.get_path(resource_body(body), path)
    return None if value is None else scope.evaluate(value)


def resource_body(config: dict[str, Any]) -> dict[str, Any]:
    """The body of a pycep resource declaration, also when it is conditional (`= if (...) {...}`)."""
    while "config" in config:
        config = config["config"]
    return config


def enabled(value: Any) -> Any:
    return {"Enabled": True, "Disabled": False}.get(value, value)


def negated(value: Any) -> Any:
    return not value if isinstance(value, bool) else value


def replication(value: Any) -> Any:
    return value.removeprefix("Standard_") if isinstance(value, str) else value


def always(value: Any) -> Callable[[Any], Any]:
    return lambda _: value


Side = tuple[str, str, str, Callable[[Any], Any]]
# (resource, setting) -> (Terraform module call, type, attribute, normaliser), (Bicep module, type, path, ...)
SETTINGS: dict[tuple[str, str], tuple[Side, Side]] = {}


def setting(resource: str, name: str, terraform: Side, bicep: Side) -> None:
    SETTINGS[(resource, name)] = (terraform, bicep)


KV_TF, KV_B = ("key_vault", "azurerm_key_vault"), ("keyVault", "Microsoft.KeyVault/vaults")
setting(
    "key vault",
    "public network access",
    (*KV_TF, "public_network_access_enabled", bool),
    (*KV_B, "properties.publicNetworkAccess", enabled),
)
setting(
    "key vault",
    "purge protection",
    (*KV_TF, "purge_protection_enabled", bool),
    (*KV_B, "properties.enablePurgeProtection", bool),
)
# azurerm 4 cannot turn soft delete off: the attribute no longer exists, so "always on" is its value.
setting(
    "key vault", "soft delete", (*KV_TF, "name", always(True)), (*KV_B, "properties.enableSoftDelete", bool)
)
setting(
    "key vault",
    "soft delete retention days",
    (*KV_TF, "soft_delete_retention_days", int),
    (*KV_B, "properties.softDeleteRetentionInDays", int),
)
setting(
    "key vault",
    "rbac authorisation",
    (*KV_TF, "enable_rbac_authorization", bool),
    (*KV_B, "properties.enableRbacAuthorization", bool),
)
setting(
    "key vault",
    "firewall default action",
    (*KV_TF, "network_acls.default_action", str),
    (*KV_B, "properties.networkAcls.defaultAction", str),
)
setting("key vault", "sku", (*KV_TF, "sku_name", str), (*KV_B, "properties.sku.name", str))

ST_TF, ST_B = (
    ("storage_account", "azurerm_storage_account"),
    ("storageAccount", "Microsoft.Storage/storageAccounts"),
)
BLOB_B = ("storageAccount", "Microsoft.Storage/storageAccounts/blobServices")
setting(
    "storage account",
    "public network access",
    (*ST_TF, "public_network_access_enabled", bool),
    (*ST_B, "properties.publicNetworkAccess", enabled),
)
setting(
    "storage account",
    "https only",
    (*ST_TF, "https_traffic_only_enabled", bool),
    (*ST_B, "properties.supportsHttpsTrafficOnly", bool),
)
setting(
    "storage account",
    "minimum tls",
    (*ST_TF, "min_tls_version", str),
    (*ST_B, "properties.minimumTlsVersion", str),
)
setting(
    "storage account",
    "public blob access",
    (*ST_TF, "allow_nested_items_to_be_public", bool),
    (*ST_B, "properties.allowBlobPublicAccess", bool),
)
setting(
    "storage account",
    "shared key access",
    (*ST_TF, "shared_access_key_enabled", bool),
    (*ST_B, "properties.allowSharedKeyAccess", bool),
)
setting(
    "storage account",
    "oauth by default",
    (*ST_TF, "default_to_oauth_authentication", bool),
    (*ST_B, "properties.defaultToOAuthAuthentication", bool),
)
setting(
    "storage account",
    "infrastructure encryption",
    (*ST_TF, "infrastructure_encryption_enabled", bool),
    (*ST_B, "properties.encryption.requireInfrastructureEncryption", bool),
)
setting(
    "storage account",
    "firewall default action",
    (*ST_TF, "network_rules.default_action", str),
    (*ST_B, "properties.networkAcls.defaultAction", str),
)
setting(
    "storage account",
    "replication sku",
    (*ST_TF, "account_replication_type", str),
    (*ST_B, "sku.name", replication),
)
setting(
    "storage account",
    "blob soft delete days",
    (*ST_TF, "blob_properties.delete_retention_policy.days", int),
    (*BLOB_B, "properties.deleteRetentionPolicy.days", int),
)
setting(
    "storage account",
    "container soft delete days",
    (*ST_TF, "blob_properties.container_delete_retention_policy.days", int),
    (*BLOB_B, "properties.containerDeleteRetentionPolicy.days", int),
)
setting(
    "storage account",
    "blob versioning",
    (*ST_TF, "blob_properties.versioning_enabled", bool),
    (*BLOB_B, "properties.isVersioningEnabled", bool),
)

CR_TF, CR_B = (
    ("container_registry", "azurerm_container_registry"),
    ("containerRegistry", "Microsoft.ContainerRegistry/registries"),
)
setting(
    "container registry",
    "admin user",
    (*CR_TF, "admin_enabled", bool),
    (*CR_B, "properties.adminUserEnabled", bool),
)
setting(
    "container registry",
    "anonymous pull",
    (*CR_TF, "anonymous_pull_enabled", bool),
    (*CR_B, "properties.anonymousPullEnabled", bool),
)
setting(
    "container registry",
    "public network access",
    (*CR_TF, "public_network_access_enabled", bool),
    (*CR_B, "properties.publicNetworkAccess", enabled),
)
setting("container registry", "sku", (*CR_TF, "sku", str), (*CR_B, "sku.name", str))
setting(
    "container registry",
    "zone redundancy",
    (*CR_TF, "zone_redundancy_enabled", bool),
    (*CR_B, "properties.zoneRedundancy", enabled),
)
setting(
    "container registry",
    "dedicated data endpoint",
    (*CR_TF, "data_endpoint_enabled", bool),
    (*CR_B, "properties.dataEndpointEnabled", bool),
)

ML_TF, ML_B = (
    ("machine_learning", "azurerm_machine_learning_workspace"),
    ("machineLearning", "Microsoft.MachineLearningServices/workspaces"),
)
DS_TF = ("machine_learning", "azapi_update_resource")
setting(
    "machine learning workspace",
    "public network access",
    (*ML_TF, "public_network_access_enabled", bool),
    (*ML_B, "properties.publicNetworkAccess", enabled),
)
setting(
    "machine learning workspace", "identity", (*ML_TF, "identity.type", str), (*ML_B, "identity.type", str)
)
setting(
    "machine learning workspace",
    "managed network",
    (*ML_TF, "managed_network.isolation_mode", str),
    (*ML_B, "properties.managedNetwork.isolationMode", str),
)
setting(
    "machine learning workspace",
    "v1 legacy mode",
    (*ML_TF, "v1_legacy_mode_enabled", bool),
    (*ML_B, "properties.v1LegacyMode", bool),
)
setting(
    "machine learning workspace",
    "system datastores auth",
    (*DS_TF, "body.properties.systemDatastoresAuthMode", str),
    (*ML_B, "properties.systemDatastoresAuthMode", str),
)

CC_TF, CC_B = (
    ("machine_learning", "azurerm_machine_learning_compute_cluster"),
    ("machineLearning", "Microsoft.MachineLearningServices/workspaces/computes"),
)
setting(
    "compute cluster",
    "local auth",
    (*CC_TF, "local_auth_enabled", bool),
    (*CC_B, "properties.disableLocalAuth", negated),
)
setting("compute cluster", "identity", (*CC_TF, "identity.type", str), (*CC_B, "identity.type", str))
setting(
    "compute cluster",
    "min nodes",
    (*CC_TF, "scale_settings.min_node_count", int),
    (*CC_B, "properties.properties.scaleSettings.minNodeCount", int),
)
setting(
    "compute cluster",
    "max nodes",
    (*CC_TF, "scale_settings.max_node_count", int),
    (*CC_B, "properties.properties.scaleSettings.maxNodeCount", int),
)
setting(
    "compute cluster",
    "ssh public access",
    (*CC_TF, "ssh_public_access_enabled", bool),
    (*CC_B, "properties.properties.remoteLoginPortPublicAccess", enabled),
)
setting("compute cluster", "vm size", (*CC_TF, "vm_size", str), (*CC_B, "properties.properties.vmSize", str))

LA_TF, LA_B = (
    ("monitoring", "azurerm_log_analytics_workspace"),
    ("monitoring", "Microsoft.OperationalInsights/workspaces"),
)
setting(
    "log analytics workspace",
    "retention days",
    (*LA_TF, "retention_in_days", int),
    (*LA_B, "properties.retentionInDays", int),
)
setting(
    "log analytics workspace",
    "local auth",
    (*LA_TF, "local_authentication_enabled", bool),
    (*LA_B, "properties.features.disableLocalAuth", negated),
)


EG_TF, EG_B = (
    ("model_events", "azurerm_eventgrid_system_topic"),
    ("modelEvents", "Microsoft.EventGrid/systemTopics"),
)
ES_TF, ES_B = (
    ("model_events", "azurerm_eventgrid_system_topic_event_subscription"),
    ("modelEvents", "Microsoft.EventGrid/systemTopics/eventSubscriptions"),
)
DL_TF, DL_B = (
    ("model_events", "azurerm_storage_container"),
    ("modelEvents", "Microsoft.Storage/storageAccounts/blobServices/containers"),
)
setting("event grid system topic", "identity", (*EG_TF, "identity.type", str), (*EG_B, "identity.type", str))
setting(
    "event grid system topic", "topic type", (*EG_TF, "topic_type", str), (*EG_B, "properties.topicType", str)
)
setting(
    "event subscription",
    "event types",
    (*ES_TF, "included_event_types", list),
    (*ES_B, "properties.filter.includedEventTypes", list),
)
setting(
    "event subscription",
    "delivery schema",
    (*ES_TF, "event_delivery_schema", str),
    (*ES_B, "properties.eventDeliverySchema", str),
)
setting(
    "event subscription",
    "webhook url",
    (*ES_TF, "webhook_endpoint.url", str),
    (*ES_B, "properties.destination.properties.endpointUrl", str),
)
setting(
    "event subscription",
    "events per request",
    (*ES_TF, "webhook_endpoint.max_events_per_batch", int),
    (*ES_B, "properties.destination.properties.maxEventsPerBatch", int),
)
setting(
    "event subscription",
    "delivery attempts",
    (*ES_TF, "retry_policy.max_delivery_attempts", int),
    (*ES_B, "properties.retryPolicy.maxDeliveryAttempts", int),
)
setting(
    "event subscription",
    "event time to live",
    (*ES_TF, "retry_policy.event_time_to_live", int),
    (*ES_B, "properties.retryPolicy.eventTimeToLiveInMinutes", int),
)
setting(
    "event subscription",
    "dead-letter identity",
    (*ES_TF, "dead_letter_identity.type", str),
    (*ES_B, "properties.deadLetterWithResourceIdentity.identity.type", str),
)
setting(
    "dead-letter container",
    "public access",
    (*DL_TF, "container_access_type", lambda value: {"private": "None"}.get(value, value)),
    (*DL_B, "properties.publicAccess", str),
)
setting("dead-letter container", "name", (*DL_TF, "name", str), (*DL_B, "name", str))


@pytest.mark.parametrize(("environment", "mode"), COMBINATIONS)
def test_security_settings_match(environment: str, mode: str) -> None:
    problems = []
    for (resource, name), (terraform, bicep) in SETTINGS.items():
        tf_value = tf_setting(environment, mode, *terraform[:3])
        bicep_value = bicep_setting(environment, mode, *bicep[:3])
        if tf_value is None or bicep_value is None:
            missing = "Terraform" if tf_value is None else "Bicep"
            problems.append(f"{resource}: {name} is not set in {missing}")
        elif iac_eval.UNKNOWN in (tf_value, bicep_value):
            problems.append(f"{resource}: {name} cannot be evaluated ({tf_value!r} / {bicep_value!r})")
        elif terraform[3](tf_value) != bicep[3](bicep_value):
            problems.append(f"{resource}: {name} is {tf_value!r} in Terraform but {bicep_value!r} in Bicep")
    assert not problems, f"{environment}/{mode}:\n" + "\n".join(problems)


def test_settings_follow_the_mode() -> None:
    """Sanity check of the evaluation itself: the switch really flips public access and the firewall."""
    for mode, expected in (("public", True), ("private", False)):
        assert tf_setting("prod", mode, *ML_TF, "public_network_access_enabled") is expected
        assert bicep_setting("prod", mode, *ML_B, "properties.publicNetworkAccess") == (
            "Enabled" if expected else "Disabled"
        )
    assert tf_setting("dev", "private", *CR_TF, "sku") == "Premium"  # private forces Premium
    assert tf_setting("dev", "public", *CR_TF, "sku") == "Basic"


# -------------------------------------------------------------------------- endpoints, roles, credentials


@pytest.mark.parametrize("mode", check.NETWORK_MODES)
def test_private_endpoints_per_mode(mode: str) -> None:
    terraform = tf_scope("prod", mode).resolve("local.private_endpoints")
    main = bicep_file("main.bicep")
    values = iac_eval.load_parameters_json(BICEP / "environments" / "prod.parameters.json")
    bicep = main.scope({**values, "networkMode": mode}).resolve("privateEndpointSubresources")
    expected = {"amlworkspace", "blob", "file", "vault", "registry"} if mode == "private" else set()
    assert set(terraform) == expected
    assert set(bicep) == expected


def _principal(text: str) -> str:
    for word in ("pipeline", "compute", "workspace"):
        if word in text.lower():
            return word
    raise AssertionError(f"unknown principal {text!r}")


def _target(text: str) -> str:
    for word in ("storage", "registry", "machine_learning", "workspace"):
        if word in text.lower():
            return {"machine_learning": "workspace"}.get(word, word)
    raise AssertionError(f"unknown target {text!r}")


def test_same_role_assignments() -> None:
    root = tf_module(".")
    terraform = Counter()
    pipeline = root.modules["pipeline_identity"]["role_assignments"]
    for body in pipeline.values():
        terraform[("pipeline", _target(body["scope"]), body["role_definition_name"].strip('"'))] += 1
    for body in root.locals["service_role_assignments"].values():
        role = body["role_definition_name"].strip('"')
        terraform[(_principal(body["principal_id"]), _target(body["scope"]), role)] += 1
    _, _, params = iac_eval.module_call(bicep_file("main.bicep").modules["roleAssignments"])
    bicep = Counter()
    for key in ("storageAssignments", "registryAssignments", "workspaceAssignments"):
        for item in params[key]:
            principal = str(item["principalId"])
            bicep[(_principal(principal), _target(key), item["roleDefinitionName"])] += 1
    assert terraform == bicep
    names = {role for _, _, role in bicep}
    role_ids = bicep_file("modules/role-assignments/main.bicep").document["variables"]["roleDefinitionIds"]
    assert names <= {key.strip("'") for key in role_ids["value"]}, (
        "a role has no definition ID in role-assignments"
    )


@pytest.mark.parametrize("environment", check.ENVIRONMENTS)
def test_same_federated_credentials(environment: str) -> None:
    terraform = tf_scope(environment, "private").resolve("local.federated_credentials")
    values = iac_eval.load_parameters_json(BICEP / "environments" / f"{environment}.parameters.json")
    bicep = bicep_file("main.bicep").scope(values).resolve("githubCredentials")
    assert bicep != iac_eval.UNKNOWN
    assert {name: (c["issuer"], c["subject"]) for name, c in terraform.items()} == {
        c["name"]: (c["issuer"], c["subject"]) for c in bicep
    }
    for credential in bicep:
        assert re.fullmatch(r"repo:[\w.-]+/[\w.-]+:environment:" + environment, credential["subject"])


def test_same_outputs() -> None:
    terraform = set(tf_module(".").outputs)
    bicep = {re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower() for name in bicep_file("main.bicep").outputs}
    assert terraform == bicep
    needed = {
        "workspace_name",
        "workspace_id",
        "resource_group_name",
        "container_registry_login_server",
        "application_insights_connection_string",
        "pipeline_identity_principal_id",
        "pipeline_identity_client_id",
        "workspace_principal_id",
        "compute_cluster_principal_id",
    }
    assert needed <= terraform


# ------------------------------------------------------------------------ registry events and promotion

WEBHOOK = "https://dev.azure.com/example-org/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview"
SOURCE_GROUP = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlops-dev"
SOURCE_WORKSPACE = (
    f"{SOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev-a1b2c"
)
SOURCE_STORAGE = f"{SOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/stmlopsdeva1b2c"


def tf_call_scope(environment: str, call: str, **values: Any) -> iac_eval.TerraformScope:
    """The scope of a module called by the Terraform root, for an environment with `values` set."""
    inputs = iac_eval.load_tfvars(TF / "environments" / f"{environment}.tfvars") | values
    root = tf_module(".").scope(inputs, {"local.name_suffix": "a1b2c"})
    declaration = tf_module(".").modules[call]
    module = tf_module(root.evaluate(declaration["source"]).removeprefix("./"))
    return module.scope({k: root.evaluate(v) for k, v in declaration.items() if not k.startswith("__")})


def bicep_call_scope(environment: str, call: str, **values: Any) -> tuple[iac_eval.BicepFile, Any]:
    """(module file, its scope) of a module called by main.bicep, for an environment with `values` set."""
    main = bicep_file("main.bicep")
    inputs = iac_eval.load_parameters_json(BICEP / "environments" / f"{environment}.parameters.json") | values
    root = main.scope(inputs, {"nameSuffix": "a1b2c"})
    declaration = main.modules[call]
    _, _, params = iac_eval.module_call(declaration)
    module = bicep_file(str(declaration["detail"]["path"]))
    return module, module.scope({k: root.evaluate(v) for k, v in params.items()})


@pytest.mark.parametrize("environment", check.ENVIRONMENTS)
def test_event_subscription_exists_only_with_a_webhook(environment: str) -> None:
    subscription = tf_module("modules/model-events").resources[
        "azurerm_eventgrid_system_topic_event_subscription"
    ]
    count = next(iter(subscription.values()))["count"]
    module, _ = bicep_call_scope(environment, "modelEvents")
    condition = next(r for r in module.resources.values() if r["type"] == ES_B[1])["config"]["condition"]
    for url, expected in (("", 0), (WEBHOOK, 1)):
        tf_scope_ = tf_call_scope(environment, "model_events", model_registered_webhook_url=url)
        _, bicep_scope = bicep_call_scope(environment, "modelEvents", modelRegisteredWebhookUrl=url)
        assert tf_scope_.evaluate(count) == expected, f"terraform {environment} webhook {url!r}"
        assert bicep_scope.evaluate(condition) is bool(expected), f"bicep {environment} webhook {url!r}"
        assert tf_scope_.resolve("var.webhook_url") == bicep_scope.resolve("webhookUrl") == url


def test_environments_set_the_event_and_promotion_inputs() -> None:
    """dev may subscribe (empty until the project's webhook exists); prod never does, since promote-model's
    registration there must not start deploy-model again, and it names the environment it promotes from."""
    for environment, tf_names, bicep_names in (
        ("dev", {"model_registered_webhook_url"}, {"modelRegisteredWebhookUrl"}),
        (
            "prod",
            {
                "model_registered_webhook_url",
                "promotion_source_workspace_id",
                "promotion_source_storage_account_id",
            },
            {"modelRegisteredWebhookUrl", "promotionSourceWorkspaceId", "promotionSourceStorageAccountId"},
        ),
    ):
        tfvars = iac_eval.load_tfvars(TF / "environments" / f"{environment}.tfvars")
        parameters = iac_eval.load_parameters_json(BICEP / "environments" / f"{environment}.parameters.json")
        assert tf_names <= set(tfvars), environment
        assert bicep_names <= set(parameters), environment
        assert [tfvars[name] for name in sorted(tf_names)] == [
            parameters[name] for name in sorted(bicep_names)
        ]
    assert iac_eval.load_tfvars(TF / "environments" / "prod.tfvars")["model_registered_webhook_url"] == ""


def _bicep_role_assignments(module: iac_eval.BicepFile) -> set[tuple[str, str]]:
    """(type of the scope resource, role name) of every role assignment in a Bicep module."""
    names = {k.strip("'") for k in module.document["variables"]["roleDefinitionIds"]["value"]}
    assignments = set()
    for body in module.resources.values():
        if body["type"] == "Microsoft.Authorization/roleAssignments":
            config = resource_body(body["config"])
            # roleDefinitionIds.<name> or roleDefinitionIds['<name>']
            accessor = config["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
            operands = accessor["operator"]["operands"]
            assert str(operands["operand_1"]) == "roleDefinitionIds"
            role = str(operands["operand_2"]).strip("'")
            assert role in names, f"{module.path.name}: no definition ID for {role!r}"
            assignments.add((module.resources[str(config["scope"])]["type"], role))
    return assignments


def test_promotion_grants_read_access_on_the_source_only_when_named() -> None:
    tf_prod = tf_scope("prod", "private")
    assert tf_prod.resolve("local.promotion_role_assignments") == {}
    values = iac_eval.load_tfvars(TF / "environments" / "prod.tfvars") | {
        "promotion_source_workspace_id": SOURCE_WORKSPACE,
        "promotion_source_storage_account_id": SOURCE_STORAGE,
    }
    granted = tf_module(".").scope(values).resolve("local.promotion_role_assignments")
    terraform = {(body["scope"], body["role_definition_name"]) for body in granted.values()}
    assert terraform == {(SOURCE_WORKSPACE, "Reader"), (SOURCE_STORAGE, "Storage Blob Data Reader")}
    resource = tf_module(".").resources["azurerm_role_assignment"]["promotion_source"]
    assert resource["principal_id"] == "${module.pipeline_identity.principal_id}"

    main = bicep_file("main.bicep")
    declaration = main.modules["promotionAccess"]
    condition, _, params = iac_eval.module_call(declaration)
    prod = iac_eval.load_parameters_json(BICEP / "environments" / "prod.parameters.json")
    assert main.scope(prod).evaluate(condition) is False
    named = prod | {
        "promotionSourceWorkspaceId": SOURCE_WORKSPACE,
        "promotionSourceStorageAccountId": SOURCE_STORAGE,
    }
    assert main.scope(named).evaluate(condition) is True
    assert "pipelineIdentity" in str(params["principalId"])
    bicep = _bicep_role_assignments(bicep_file(str(declaration["detail"]["path"])))
    assert bicep == {
        ("Microsoft.MachineLearningServices/workspaces", "Reader"),
        ("Microsoft.Storage/storageAccounts", "Storage Blob Data Reader"),
    }


def test_dead_letter_role_is_the_topic_identity_on_its_container() -> None:
    tf = tf_module("modules/model-events").resources["azurerm_role_assignment"]["dead_letter"]
    assert tf["role_definition_name"].strip('"') == "Storage Blob Data Contributor"
    assert "azurerm_storage_container.dead_letter" in tf["scope"]
    assert "azurerm_eventgrid_system_topic.this.identity" in tf["principal_id"]
    module = bicep_file("modules/model-events/main.bicep")
    role = resource_body(module.resources["deadLetterRole"]["config"])
    assert str(role["scope"]) == "deadLetterContainer"
    assert "topic" in str(role["properties"]["principalId"])
    role_ids = bicep_file("modules/role-assignments/main.bicep").document["variables"]["roleDefinitionIds"][
        "value"
    ]
    contributor = next(str(v) for k, v in role_ids.items() if k.strip("'") == "Storage Blob Data Contributor")
    assert module.scope({}).resolve("storageBlobDataContributor") == contributor
