"""End to end on Azure, per dialect: the real pipelines' Azure branch against the emulated Azure ML service.

The project's settings name the emulated workspace and identity (as a team fills in its own), Azure
DevOps' service connections are declared in pipelines/azure-devops/local/service-connections.yml, and the
machine offers only what a CI agent has: a proxy and trust store to reach "Azure", and the CI's OIDC
issuer. Everything else (sign-in, workspace coordinates, the backend) comes from the pipelines:
train-model (backend azure) registers a model, its `model-registered` event (which names the backend)
starts deploy-model, which deploys that version to dev, waits for the prod approval, then deploys prod.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from drifted_data import drifted_table, request_bodies
from git_repository import git

from amlops import cli
from amlops.backends import get_backend
from amlops.ci.result import RunResult, Status
from amlops.config import resolve_settings
from amlops.hashing import content_hash
from amlops.lifecycle.commands_run import newest_event, run_pipeline
from amlops.lifecycle.events import MODEL_REGISTERED
from amlops.lifecycle.run import PR_CI_TEST_PATHS
from amlops.verbs.deploy_online import request_rows
from amlops.verbs.gate import DECISION_FILE

from .conftest import copy_repository

pytestmark = pytest.mark.slow
DIALECTS = ("azure-devops", "github")
SHORT = {"azure-devops": "ado", "github": "gh"}
# The identity and workspace the pipelines must supply themselves (from the settings and the sign-in step).
IDENTITY = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_RESOURCE_GROUP",
    "AZUREML_WORKSPACE_NAME",
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
)
# The CI's OIDC issuers: the machine offers the one of the dialect under test, never the other's.
ISSUERS = (
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SYSTEM_OIDCREQUESTURI",
    "SYSTEM_ACCESSTOKEN",
)
CONNECTION_IDS = {
    "amlops-dev": "00000000-0000-0000-0000-0000000000d1",
    "amlops-prod": "00000000-0000-0000-0000-0000000000d2",
}


@dataclass
class OnAzure:
    dialect: str
    repo: Path
    state: Path
    service: Any
    machine: dict[str, str]
    names: dict[str, str]
    logs: dict[str, str]
    results: dict[str, RunResult]
    requests_before: int
    refused_before: int
    dispatches_before: int
    deliveries_before: int
    marks: dict[str, int] = field(default_factory=dict)  # phase -> index in the proxy log where it began
    registered: dict[str, Any] | None = None  # the first training's model-registered event


WEBHOOK_URL = (
    "https://dev.azure.com/org/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview"
)


def _configure(repo: Path, service: Any, dialect: str) -> dict[str, str]:
    """Point the settings at the emulated dev and prod workspaces, with names of this dialect's own."""
    short = SHORT[dialect]
    names = {
        "modelName": f"taxi-{short}",
        "dataName": f"trips-{short}",
        "dev": f"{short}-dev-online",
        "prod": f"{short}-prod-online",
    }
    for environment in ("dev", "prod"):
        path = repo / "pipelines" / "config" / f"{environment}.yml"
        text = path.read_text(encoding="utf-8")
        values = {
            "azureClientId": service.identity.client_id,
            "azureTenantId": service.identity.tenant_id,
            "azureSubscriptionId": service.subscription,
            "resourceGroup": service.resource_group,
            # distinct workspaces: prod deploys the copy of dev's gated version (promote-model)
            "workspaceName": service.workspace if environment == "dev" else service.prod_workspace,
            "modelName": names["modelName"],
            "dataName": names["dataName"],
            "onlineEndpoint": names[environment],
        }
        if environment == "dev":  # deploy-model's incoming webhook, where training announces a new version
            values["modelRegisteredWebhookUrl"] = WEBHOOK_URL
        for key, value in values.items():
            text, count = re.subn(rf"^(  {key}: ).*$", rf"\g<1>{value}", text, flags=re.MULTILINE)
            assert count == 1, f"{path}: {key}"
        path.write_text(text, encoding="utf-8")
    connections = {
        name: {
            "id": connection_id,
            "clientId": service.identity.client_id,
            "tenantId": service.identity.tenant_id,
            "subscriptionId": service.subscription,
        }
        for name, connection_id in CONNECTION_IDS.items()
    }
    (repo / "pipelines" / "azure-devops" / "local" / "service-connections.yml").write_text(
        yaml.safe_dump(connections), encoding="utf-8"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "settings of the emulated workspace")
    return names


def _machine(service: Any, dialect: str) -> dict[str, str]:
    """What a CI agent of this dialect has: the way to Azure and the CI's OIDC issuer, no identity."""
    issuer = service.environment(credential="github" if dialect == "github" else "azure-devops")
    env = {k: v for k, v in issuer.items() if k not in IDENTITY}
    env["AMLOPS_AZURE_POLL_S"] = "0.3"
    return env


def _run(on: OnAzure, pipeline: str, event: str, **options: Any) -> tuple[RunResult, str]:
    on.marks.setdefault(options.pop("phase", pipeline), len(on.service.proxy.log))
    out = io.StringIO()
    path = on.repo / "pipelines" / on.dialect / f"{pipeline}.yml"
    outcome = run_pipeline(path, repo_root=on.repo, state_dir=on.state, event=event, out=out, **options)
    return outcome.result, out.getvalue()


@pytest.fixture(scope="module", params=DIALECTS)
def on_azure(
    request: pytest.FixtureRequest, azureml_service: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OnAzure]:
    dialect = request.param
    base = tmp_path_factory.mktemp(f"azure-{dialect}")
    repo = copy_repository(base / "repo")
    names = _configure(repo, azureml_service, dialect)
    with pytest.MonkeyPatch.context() as patch:
        for name in (*IDENTITY, *ISSUERS):
            patch.delenv(name, raising=False)
        machine = _machine(azureml_service, dialect)
        for name, value in machine.items():
            patch.setenv(name, value)
        on = OnAzure(
            dialect,
            repo,
            base / "state",
            azureml_service,
            machine,
            names,
            {},
            {},
            len(azureml_service.proxy.log),
            len(azureml_service.proxy.refused),
            len(azureml_service.github_api.dispatches),
            len(azureml_service.webhooks.deliveries),
        )
        if dialect == "github":
            checks: dict[str, Any] = {"inputs": {"test-paths": PR_CI_TEST_PATHS, "markers": ""}}
        else:
            checks = {"parameters": {"testPaths": PR_CI_TEST_PATHS, "markers": ""}}
        on.results["pr-ci"], on.logs["pr-ci"] = _run(on, "pr-ci", "manual", **checks)
        if dialect == "github":
            options: dict[str, Any] = {"inputs": {"backend": "azure"}}
            result, log = _run(on, "train-model", "workflow_dispatch", **options)
        else:
            result, log = _run(on, "train-model", "manual", parameters={"backend": "azure"})
        on.results["train"], on.logs["train"] = result, log
        if result.ok:
            event = newest_event(on.state, MODEL_REGISTERED)
            assert event is not None
            on.registered = event
            # The registry event arrives as the training pipeline announced it: GitHub's repository_dispatch
            # from the announce job, Azure DevOps' POST to the incoming webhook.
            if dialect == "github":
                dispatches = azureml_service.github_api.dispatches[on.dispatches_before :]
                assert dispatches, log[-8000:]
                event = dispatches[-1].client_payload
            else:
                deliveries = azureml_service.webhooks.deliveries[on.deliveries_before :]
                assert deliveries, log[-8000:]
                event = deliveries[-1].payload
            # without the approval: dev deploys, prod waits
            result, log = _run(on, "deploy-model", MODEL_REGISTERED, payload=event, phase="unapproved")
            on.results["unapproved"], on.logs["unapproved"] = result, log
            result, log = _run(on, "deploy-model", MODEL_REGISTERED, payload=event, approve=True)
            on.results["deploy"], on.logs["deploy"] = result, log
            if result.ok:
                # the same event delivered again (a retry, a replay): nothing new may be deployed
                on.results["replay"], on.logs["replay"] = _run(
                    on, "deploy-model", MODEL_REGISTERED, payload=event, approve=True, phase="replay"
                )
                # clients send prod drifted rows; the monitor compares what prod collected with the
                # training snapshot (promoted with the model) and starts training in dev
                on.marks["traffic"] = len(azureml_service.proxy.log)
                _send_drifted_traffic(on, base / "traffic")
                monitor = (
                    ("workflow_dispatch", {"inputs": {"backend": "azure"}})
                    if dialect == "github"
                    else ("manual", {"parameters": {"backend": "azure"}})
                )
                on.results["monitor"], on.logs["monitor"] = _run(on, "monitor", monitor[0], **monitor[1])
        yield on


def _requests(on: OnAzure) -> list[tuple[str, str, str, int]]:
    return on.service.proxy.log[on.requests_before :]


def _phase(on: OnAzure, name: str) -> list[tuple[str, str, str, int]]:
    """The requests of one phase of the fixture (up to the next phase's first)."""
    phases = list(on.marks)  # in the order they began
    start = on.marks[name]
    following = phases.index(name) + 1
    end = on.marks[phases[following]] if following < len(phases) else None
    return on.service.proxy.log[start:end]


def _send_drifted_traffic(on: OnAzure, folder: Path, *, rows: int = 1_200, per_request: int = 400) -> None:
    """Scoring requests of drifted rows (the generator's `--drift`) to prod's endpoint, as clients send."""
    folder.mkdir(parents=True, exist_ok=True)
    table = drifted_table(on.repo, folder / "drifted.parquet", rows=rows, seed=7)
    prod = _laptop(on, on.service.prod_workspace)
    for body in request_bodies(table, per_request=per_request):
        answer = prod.invoke(on.names["prod"], body)
        assert answer.status_code == 200, answer


def test_pr_ci_passes_before_anything_reaches_the_service(on_azure: OnAzure) -> None:
    assert on_azure.results["pr-ci"].ok, on_azure.logs["pr-ci"][-8000:]
    workspace_calls = [r for r in _phase(on_azure, "pr-ci") if r[1] == "management.azure.com"]
    assert workspace_calls == []  # the offline checks: no workspace is touched


def test_a_replayed_event_deploys_nothing_new(on_azure: OnAzure) -> None:
    """The same model-registered payload again: both stages run and pass, but no deployment is created,
    no traffic moves and nothing is copied into prod's registry."""
    assert on_azure.results["replay"].ok, on_azure.logs["replay"][-8000:]
    seen = _phase(on_azure, "replay")
    writes = [(m, t) for m, _, t, _ in seen if m in ("PUT", "PATCH", "DELETE") and "/workspaces/" in t]
    assert [w for w in writes if "/deployments/" in w[1] or "/onlineEndpoints/" in w[1]] == [], writes
    assert [w for w in writes if "/models/" in w[1]] == [], writes
    assert any(m == "GET" and "/onlineEndpoints/" in t for m, _, t, _ in seen)  # it did look


def test_monitor_on_azure_reads_what_prod_collected_and_retrains_in_dev(on_azure: OnAzure) -> None:
    """Drifted traffic to prod was collected by prod's data collector into prod's blob store; the monitor's
    drift job ran in prod's workspace on that data against the promoted training snapshot, found drift,
    and the retrain stage/job ran the training pipeline in dev's workspace. Prod still serves its champion."""
    assert on_azure.results["monitor"].ok, on_azure.logs["monitor"][-8000:]
    log = on_azure.logs["monitor"]
    assert '{"drifted":true,' in log, log[-8000:]
    service, prod = on_azure.service, on_azure.names["prod"]
    dev_ws, prod_ws = service.workspace, service.prod_workspace
    stored = [
        b.name
        for b in service.container(service.workspaces[prod_ws]).list_blobs(
            name_starts_with=f"modelDataCollector/{prod}/"
        )
    ]
    assert any("/model_inputs/" in name for name in stored), stored
    seen = _phase(on_azure, "monitor")
    jobs = [(i, t) for i, (m, _, t, _) in enumerate(seen) if m == "PUT" and "/jobs/" in t]
    drift_jobs = [i for i, t in jobs if f"/workspaces/{prod_ws}/" in t]
    training_jobs = [i for i, t in jobs if f"/workspaces/{dev_ws}/" in t]
    assert drift_jobs, "the drift component did not run in prod's workspace"
    assert training_jobs, "the retrain did not run the training pipeline in dev's workspace"
    assert min(training_jobs) > min(drift_jobs)
    collected = f"/workspaces/{prod_ws}/data/{prod}-"
    assert any(m == "GET" and collected in t for m, _, t, _ in seen), "the collected data asset was not read"
    # prod's traffic and champion are as deploy-model left them: retraining goes through dev first
    laptop = _laptop(on_azure, prod_ws)
    champion = laptop.get_model_version(on_azure.names["modelName"], alias="champion")
    endpoint = laptop.get_endpoint(prod)
    assert endpoint is not None
    assert endpoint.live is not None
    assert endpoint.live.model_version == champion.version


def test_training_runs_on_the_service_and_its_event_names_the_azure_backend(on_azure: OnAzure) -> None:
    assert on_azure.results["train"].ok, on_azure.logs["train"][-8000:]
    event = on_azure.registered
    assert event is not None
    assert (event["model"], event["backend"]) == (on_azure.names["modelName"], "azure")
    seen = _requests(on_azure)
    # the pipeline's own sign-in and the verbs' token exchanges happened through the emulated Entra ID
    assert any(host == "login.microsoftonline.com" for _, host, _, _ in seen)
    issuer = "pipelines.actions.githubusercontent.com" if on_azure.dialect == "github" else "dev.azure.com"
    assert any(host == issuer for _, host, _, _ in seen)
    assert any(m == "PUT" and "/jobs/" in t and s in (200, 201) for m, _, t, s in seen)  # the pipeline job
    assert any(m == "PUT" and f"/models/{on_azure.names['modelName']}/versions/" in t for m, _, t, _ in seen)
    assert on_azure.service.proxy.refused[on_azure.refused_before :] == []  # nothing left for another host
    assert on_azure.service.arm.unknown_api_versions == []


def test_on_github_the_registered_version_is_announced_by_repository_dispatch(on_azure: OnAzure) -> None:
    """The announce job sends the record as a repository_dispatch with the job token; deploy-model ran on
    that dispatch's payload (the fixture), so the version deployed is the version announced."""
    if on_azure.dialect != "github":
        pytest.skip("Azure DevOps gets the event through its incoming webhook, not a dispatch")
    registered = on_azure.registered
    assert registered is not None
    [dispatch] = on_azure.service.github_api.dispatches[on_azure.dispatches_before :]
    assert dispatch.event_type == "model-registered"
    assert dispatch.token.startswith("ghs_")  # the job's token, not a stored secret
    assert dispatch.repository.count("/") == 1
    payload = dispatch.client_payload
    assert (payload["type"], payload["model"], payload["version"], payload["backend"]) == (
        "model-registered",
        registered["model"],
        str(registered["version"]),
        "azure",
    )
    seen = _requests(on_azure)
    dispatched = [
        i for i, (m, h, t, _) in enumerate(seen) if h == "api.github.com" and t.endswith("/dispatches")
    ]
    registrations = [
        i
        for i, (m, _, t, _) in enumerate(seen)
        if m == "PUT" and f"/models/{registered['model']}/versions/" in t
    ]
    assert dispatched
    assert registrations
    assert min(dispatched) > registrations[0], "announced before the version was registered"


def test_on_azure_devops_the_registered_version_is_posted_to_the_incoming_webhook(on_azure: OnAzure) -> None:
    """Training posts the record to the webhook deploy-model listens on; deploy-model ran on that payload (the
    fixture), the same record that the webhook's filter (type == model-registered) selects."""
    if on_azure.dialect != "azure-devops":
        pytest.skip("GitHub gets the event as a repository_dispatch")
    registered = on_azure.registered
    assert registered is not None
    [delivery] = on_azure.service.webhooks.deliveries[on_azure.deliveries_before :]
    assert (delivery.organization, delivery.webhook, delivery.api_version) == (
        "org",
        "model-registry",
        "6.0-preview",
    )
    payload = delivery.payload
    assert (payload["type"], payload["model"], payload["version"], payload["backend"]) == (
        "model-registered",
        registered["model"],
        str(registered["version"]),
        "azure",
    )


def test_without_the_approval_dev_deploys_and_prod_waits(on_azure: OnAzure) -> None:
    result = on_azure.results["unapproved"]
    assert result.status == Status.WAITING_FOR_APPROVAL, on_azure.logs["unapproved"][-8000:]
    held = [environment for approval in result.pending_approvals for environment in approval.environments]
    assert held, result.pending_approvals
    assert all("prod" in environment for environment in held), held
    assert "approval" in on_azure.logs["unapproved"]


def test_the_registered_version_is_served_from_prod_after_dev(
    on_azure: OnAzure,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert on_azure.results["deploy"].ok, on_azure.logs["deploy"][-8000:]
    event = on_azure.registered
    assert event is not None
    seen = _requests(on_azure)
    prod, dev = on_azure.names["prod"], on_azure.names["dev"]

    def endpoint_puts(name: str) -> list[int]:
        return [
            i
            for i, (m, _, t, _) in enumerate(seen)
            if m in ("PUT", "PATCH") and f"/onlineEndpoints/{name}" in t
        ]

    assert endpoint_puts(dev)
    assert endpoint_puts(prod)
    assert max(endpoint_puts(dev)) < min(endpoint_puts(prod)), "prod was deployed before dev finished"
    # the traffic shift: the endpoint updated with traffic on the new deployment, after the deployment
    prod_deployments = [
        i
        for i, (m, _, t, _) in enumerate(seen)
        if m == "PUT" and f"/onlineEndpoints/{prod}/deployments/" in t
    ]
    assert prod_deployments
    assert max(endpoint_puts(prod)) > min(prod_deployments)

    # the promotion: prod's registry got dev's version (same name and number) before prod deployed it
    model, version = on_azure.names["modelName"], str(event["version"])
    service = on_azure.service
    dev_ws, prod_ws = service.workspace, service.prod_workspace
    copies = [
        i
        for i, (m, _, t, _) in enumerate(seen)
        if m == "PUT" and f"/workspaces/{prod_ws}/models/{model}/versions/{version}?" in t
    ]
    assert copies, "the version was never copied into prod's workspace"
    assert max(endpoint_puts(dev)) < min(copies) < min(prod_deployments)
    reads = [
        i
        for i, (m, _, t, _) in enumerate(seen)
        if m == "GET" and f"/workspaces/{dev_ws}/models/{model}/versions" in t and i < min(copies)
    ]
    assert reads, "prod's stage never read the gated version from dev's workspace"

    # this test's process is a laptop connected to the dev workspace: the digest its gate passed
    for name, value in service.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AMLOPS_STATE_DIR", str(on_azure.state))
    dev_backend = get_backend(resolve_settings(backend="azure", project_dir=str(on_azure.repo)))
    gated = dev_backend.get_model_version(model, version=version)
    decision = json.loads(dev_backend.read_run_file(gated.tags["pipeline_run_id"], DECISION_FILE) or "{}")
    assert decision.get("passed") is True
    assert gated.tags["bundle_digest"] == decision["bundle_digest"]

    # what prod serves: the model of the deployment taking prod's traffic, read back from prod's storage
    endpoint = service.store.get(service.path("onlineEndpoints", prod, workspace=prod_ws))
    live = next(d for d, weight in endpoint["properties"]["traffic"].items() if int(weight) == 100)
    deployment = service.store.get(f"{endpoint['id']}/deployments/{live}")
    served_id = str(deployment["properties"]["model"]).removeprefix("azureml:")
    assert served_id.lower() == service.path("models", model, "versions", version, workspace=prod_ws).lower()
    served = service.store.get(served_id)
    folder = service.jobs._download_uri(served["properties"]["modelUri"], tmp_path / "served", folder=True)
    assert content_hash(folder) == decision["bundle_digest"]
    assert served["properties"]["tags"]["promoted_from"] == f"dev:{model}:{version}"

    # prod answers with its champion, the copy of the gated version
    monkeypatch.setenv("AZUREML_WORKSPACE_NAME", prod_ws)
    backend = get_backend(resolve_settings(backend="azure", project_dir=str(on_azure.repo)))
    champion = backend.get_model_version(model, alias="champion")
    # the request that travels with the model (its bundle's smoke-request.json), which invoke sends by default
    bundle = backend.download_model(model, champion.version)
    smoke = json.loads((Path(bundle) / "smoke-request.json").read_text())
    argv = ["--backend", "azure", "--project-dir", str(on_azure.repo), "invoke", "--endpoint", prod]
    code = cli.main(argv)
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, answer
    assert len(answer["response"]["predictions"]) == request_rows(smoke) > 0
    assert champion.version == version


def _laptop(on: OnAzure, workspace: str) -> Any:
    """A backend of this test's process, connected to `workspace` as a laptop is (its own state)."""
    from amlops.backends.azure import AzureBackend

    settings = resolve_settings(backend="azure", project_dir=str(on.repo), state_dir=on.state / "laptop")
    environ = {**os.environ, **on.service.environment(), "AZUREML_WORKSPACE_NAME": workspace}
    return AzureBackend(settings, environ=environ)


def test_a_failing_smoke_test_in_prod_leaves_prod_alone_and_fails_the_run(on_azure: OnAzure) -> None:
    """Runs last on its dialect (it changes prod's settings): the trained bundle registered again as a new
    version (no second training), deployed with a prod smoke request that prod's scoring script refuses."""
    assert on_azure.results["deploy"].ok, on_azure.logs["deploy"][-8000:]
    model, prod = on_azure.names["modelName"], on_azure.names["prod"]
    laptop = _laptop(on_azure, on_azure.service.workspace)
    champion = laptop.get_model_version(model, alias="champion")
    bundle = laptop.download_model(model, champion.version)
    again = laptop.register_model_version(
        model,
        bundle_dir=bundle,
        pipeline_run_id=f"{champion.tags['pipeline_run_id']}-again",
        tags=champion.tags,
    )
    # prod's smoke request has no column the contract knows: prod's scoring script answers 4xx
    bad = on_azure.repo / "data-science" / "examples" / "prod-smoke-broken.json"
    bad.write_text(json.dumps({"input_data": [{"not_a_column": 1}]}), encoding="utf-8")
    config = on_azure.repo / "pipelines" / "config" / "prod.yml"
    text, count = re.subn(
        r"^(  smokeRequest: ).*$",
        r"\g<1>data-science/examples/prod-smoke-broken.json",
        config.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert count == 1
    config.write_text(text, encoding="utf-8")
    git(on_azure.repo, "add", "-A")
    git(on_azure.repo, "commit", "-q", "-m", "a prod smoke request that prod refuses")
    endpoint = on_azure.service.path("onlineEndpoints", prod, workspace=on_azure.service.prod_workspace)
    traffic_before = on_azure.service.store.get(endpoint)["properties"]["traffic"]
    start = len(on_azure.service.proxy.log)
    if on_azure.dialect == "github":
        event, selection = "workflow_dispatch", {"inputs": {"backend": "azure", "version": again.version}}
    else:
        event, selection = "manual", {"parameters": {"backend": "azure", "modelVersion": again.version}}
    result, log = _run(on_azure, "deploy-model", event, approve=True, phase="failing-smoke", **selection)
    assert result.status == Status.FAILED, log[-8000:]
    assert f"smoke test of {prod}/" in log, log[-8000:]
    assert "traffic and champion unchanged" in log, log[-8000:]
    seen = on_azure.service.proxy.log[start:]
    deployment_puts = [
        i
        for i, (m, _, t, _) in enumerate(seen)
        if m == "PUT" and f"/onlineEndpoints/{prod}/deployments/" in t
    ]
    assert deployment_puts, "prod's new deployment was never created"
    after = seen[min(deployment_puts) :]
    # from prod's new deployment on: no update of prod's endpoint (traffic), no tag write on a model version
    endpoint_writes = [
        r for r in after if r[0] in ("PUT", "PATCH") and re.search(rf"/onlineEndpoints/{prod}(\?|$)", r[2])
    ]
    assert endpoint_writes == []
    assert [r for r in after if r[0] == "PUT" and f"/models/{model}/versions/" in r[2]] == []
    # the new deployment is removed, and prod's traffic is where it was
    assert any(m == "DELETE" and f"/onlineEndpoints/{prod}/deployments/" in t for m, _, t, _ in after)
    assert on_azure.service.store.get(endpoint)["properties"]["traffic"] == traffic_before
    # the new version reached prod's registry (promoted), but prod's champion is still the one it serves
    prod_registry = _laptop(on_azure, on_azure.service.prod_workspace)
    assert prod_registry.get_model_version(model, version=again.version).version == again.version
    assert prod_registry.get_model_version(model, alias="champion").version == champion.version
