"""pipelines/azureml/online-monitor-schedule.yml, Azure ML's own model monitoring (an option next to the
monitor pipeline): it loads with azure-ai-ml offline as a MonitorSchedule and serializes to its REST body, it
watches the deployment the endpoint specs name, through that deployment's collected model inputs, against the
training data asset, and it measures what the project's drift check measures (PSI at datascience.drift's
default threshold) on every column both datasets have. Of the dataset contract it holds the task only (the
renderer sets it from a project's contract): no column names, so a team's own dataset needs no edit there.
azure-ai-ml rejects misspelt keys, and the tests check that it does.

azure-ai-ml does not export `load_schedule` (`az ml schedule create` uses it from
`azure.ai.ml.entities._load_functions`). When a schedule fails validation, azure-ai-ml builds its error
report with `Schedule._create_schema_for_validation`, which raises NotImplementedError, so the
marshmallow error naming the key only comes along as that error's context.
"""

from __future__ import annotations

import copy
import io
import socket
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AZUREML = REPO / "pipelines" / "azureml"
SPEC = AZUREML / "online-monitor-schedule.yml"
SIGNAL = "data_drift"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _load(source=SPEC):
    from azure.ai.ml.entities._load_functions import load_schedule

    return load_schedule(source)


def _load_document(document: dict):
    """Load a schedule from a YAML text, as `az ml schedule create` does after reading the file."""
    return _load(io.StringIO(yaml.safe_dump(document, sort_keys=False)))


def _signal(schedule=None):
    schedule = schedule or _load()
    return schedule.create_monitor.monitoring_signals[SIGNAL]


def _asset(reference: str) -> tuple[str, str]:
    """`azureml:name:version` (or `name:version`, as azure-ai-ml keeps an input's path) as (name, version)."""
    name, _, version = reference.removeprefix("azureml:").rpartition(":")
    return name, version


def _drift_default_threshold() -> float:
    from datascience.drift import build_parser

    return build_parser().get_default("threshold")


def test_loads_as_a_daily_monitor_with_one_data_drift_signal():
    from azure.ai.ml.entities import DataDriftSignal, MonitorSchedule, RecurrenceTrigger

    schedule = _load()
    assert isinstance(schedule, MonitorSchedule)
    assert isinstance(schedule.trigger, RecurrenceTrigger)
    assert (schedule.trigger.frequency, schedule.trigger.interval) == ("day", 1)
    assert list(schedule.create_monitor.monitoring_signals) == [SIGNAL]
    assert isinstance(_signal(schedule), DataDriftSignal)
    assert _signal(schedule).alert_enabled is True
    assert schedule.create_monitor.alert_notification is None, "no address belongs in the template"


def test_watches_the_deployment_the_endpoint_specs_name_through_its_collected_model_inputs():
    from azure.ai.ml import load_online_deployment, load_online_endpoint

    endpoint = load_online_endpoint(source=AZUREML / "online-endpoint.yml").name
    deployment = load_online_deployment(source=AZUREML / "online-deployment.yml")
    schedule = _load()
    assert schedule.create_monitor.monitoring_target.endpoint_deployment_id == (
        f"azureml:{endpoint}:{deployment.name}"
    )
    production = _signal(schedule).production_data
    # the data asset Azure ML registers for a deployment's collected model inputs
    assert _asset(production.input_data.path) == (f"{endpoint}-{deployment.name}-model_inputs", "1")
    assert production.input_data.type == "uri_folder"
    assert production.data_context == "model_inputs"
    window = production.data_window
    assert (window.lookback_window_size, window.lookback_window_offset) == ("P1D", "P0D")
    collections = deployment.data_collector.collections
    assert str(collections["model_inputs"].enabled).lower() == "true", "nothing would be collected"


def test_reference_is_the_training_data_asset_at_an_explicit_version():
    from azure.ai.ml import load_data

    asset = load_data(source=AZUREML / "data-asset.yml")
    prod = _yaml(REPO / "pipelines" / "config" / "prod.yml")["variables"]
    reference = _signal().reference_data
    name, version = _asset(reference.input_data.path)
    assert name == asset.name == prod["dataName"]
    assert version.isdigit(), "an explicit version, never @latest"
    assert reference.input_data.type == asset.type
    assert reference.data_context == "training"
    assert reference.data_window is None, "the whole training snapshot"


def _scalars(node) -> set[str]:
    """Every key and scalar of a loaded YAML document, as strings."""
    if isinstance(node, dict):
        return {str(key) for key in node} | {s for value in node.values() for s in _scalars(value)}
    if isinstance(node, list):
        return {s for value in node for s in _scalars(value)}
    return {str(node)}


def test_of_the_contract_only_the_task_is_restated():
    from datascience.contract import load_contract

    contract = load_contract(REPO / "data-science" / "contract.yml")
    schedule = _load()
    signal = _signal(schedule)
    assert schedule.create_monitor.monitoring_target.ml_task.lower() == contract.task
    # every column both datasets have, whatever the contract's columns are
    assert signal.features == "all_features"
    assert signal.reference_data.data_column_names is None
    assert signal.production_data.data_column_names is None
    assert not _scalars(_yaml(SPEC)) & {*contract.names, contract.name}, "no column of the contract is named"


def test_thresholds_are_psi_at_the_drift_components_default():
    threshold = _drift_default_threshold()
    metrics = _signal().metric_thresholds
    assert metrics.numerical.population_stability_index == threshold
    assert metrics.categorical.population_stability_index == threshold
    # azure-ai-ml sends one metric per data type, the first one set (in its order): PSI must be the only one
    assert metrics.numerical.jensen_shannon_distance is None
    assert metrics.numerical.normalized_wasserstein_distance is None
    assert metrics.numerical.two_sample_kolmogorov_smirnov_test is None
    assert metrics.categorical.jensen_shannon_distance is None
    assert metrics.categorical.pearsons_chi_squared_test is None


def test_serializes_to_the_rest_body_without_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("loading or serializing the schedule reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    body = _load()._to_rest_object().as_dict()["properties"]
    assert body["action"]["actionType"] == "CreateMonitor"
    definition = body["action"]["monitorDefinition"]
    assert definition["computeConfiguration"]["computeType"] == "ServerlessSpark"
    signal = definition["signals"][SIGNAL]
    assert signal["signalType"] == "DataDrift"
    assert signal["productionData"]["inputDataType"] == "Trailing"
    assert signal["referenceData"]["inputDataType"] == "Fixed"
    assert signal["features"] == {"filterType": "AllFeatures"}, "left out, the service would choose"
    threshold = _drift_default_threshold()
    assert sorted(
        (m["dataType"], m["metric"], m["threshold"]["value"]) for m in signal["metricThresholds"]
    ) == [
        ("Categorical", "populationStabilityIndex", threshold),
        ("Numerical", "populationStabilityIndex", threshold),
    ]
    assert body["trigger"]["triggerType"] == "Recurrence"


def _rejection_messages(error: BaseException) -> str:
    messages = []
    while error is not None:
        messages.append(str(error))
        error = error.__cause__ or error.__context__
    return "\n".join(messages)


MISSPELT = [
    ("create_monitor",),
    ("create_monitor", "monitoring_target"),
    ("create_monitor", "compute", "runtime_version"),
    ("create_monitor", "monitoring_signals", SIGNAL, "production_data"),
    ("create_monitor", "monitoring_signals", SIGNAL, "reference_data", "data_context"),
    ("create_monitor", "monitoring_signals", SIGNAL, "features"),
    (
        "create_monitor",
        "monitoring_signals",
        SIGNAL,
        "metric_thresholds",
        "numerical",
        "population_stability_index",
    ),
]


@pytest.mark.parametrize("path", MISSPELT, ids=".".join)
def test_a_misspelt_key_is_rejected(path):
    from azure.ai.ml.exceptions import ValidationException
    from marshmallow import ValidationError

    document = _yaml(SPEC)
    _load_document(document)  # the spec as it is loads the same way
    broken = copy.deepcopy(document)
    parent = broken
    for key in path[:-1]:
        parent = parent[key]
    typo = path[-1] + "t"
    parent[typo] = parent.pop(path[-1])
    with pytest.raises((ValidationError, ValidationException, NotImplementedError)) as rejected:
        _load_document(broken)
    messages = _rejection_messages(rejected.value)
    assert typo in messages
    assert "Unknown field" in messages
