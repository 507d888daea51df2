"""Every verb through `--backend azure`: real azure-ai-ml and azure-identity code, real HTTPS through the
loopback proxy, against the emulated Azure ML service (jobs really run, deployments really serve)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from drifted_data import drifted_table, request_bodies

from amlops.backends import get_backend
from amlops.config import resolve_settings
from amlops.verbs.deploy_online import request_rows

from .conftest import ROOT, run_cli

SAMPLE = ROOT / "data-science" / "data" / "sample.parquet"
SMOKE = ROOT / "data-science" / "examples" / "taxi-request.json"

VERB_ARGUMENTS = {
    "register-data": ["--name", "d", "--path", str(SAMPLE)],
    "validate-data": ["--name", "d"],
    "run-pipeline": [],
    "gate": ["--run-id", "r", "--model-name", "m"],
    "register-model": ["--run-id", "r", "--model-name", "m"],
    "report": ["--run-id", "r", "--model-name", "m"],
    "promote-model": ["--model-name", "m", "--version", "1", "--from-environment", "dev"],
    "deploy-online": ["--endpoint", "e", "--model-name", "m", "--version", "1"],
    "invoke": ["--endpoint", "e", "--request", str(SMOKE)],
    "rollback": ["--endpoint", "e"],
    "delete-endpoint": ["--endpoint", "e"],
    "deploy-batch": ["--endpoint", "e", "--model-name", "m", "--version", "1", "--input", str(SAMPLE)],
    "check-drift": ["--name", "d", "--current", str(SAMPLE)],
    "status": [],
}


@pytest.mark.parametrize("verb", sorted(VERB_ARGUMENTS))
def test_every_verb_without_credential_or_workspace_exits_2_with_one_line(
    verb: str,
    no_azure_environment: None,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AMLOPS_STATE_DIR", str(tmp_path))
    outcome = run_cli(capsys, verb, *VERB_ARGUMENTS[verb])
    assert outcome.code == 2
    message = outcome.result["error"]
    assert "\n" not in message
    assert "Traceback" not in outcome.stderr
    assert "AZURE_SUBSCRIPTION_ID" in message
    assert "az login" in message


def _backend() -> Any:
    return get_backend(resolve_settings(backend="azure"))


@pytest.fixture(scope="module")
def trained(azureml_service: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One training run on the emulated service, registered as taxi-azure version 1 (shared state)."""
    state = tmp_path_factory.mktemp("azure-state")
    patch = pytest.MonkeyPatch()
    for name, value in azureml_service.environment().items():
        patch.setenv(name, value)
    patch.setenv("AMLOPS_AZURE_POLL_S", "0.3")
    patch.setenv("AMLOPS_STATE_DIR", str(state))
    patch.setenv("AMLOPS_PROJECT_DIR", str(ROOT))
    from amlops.cli import main

    try:
        assert (
            main(["--backend", "azure", "register-data", "--name", "taxi-azure", "--path", str(SAMPLE)]) == 0
        )
        assert main(["--backend", "azure", "validate-data", "--name", "taxi-azure", "--version", "1"]) == 0
        before = len(azureml_service.proxy.log)
        assert main(["--backend", "azure", "run-pipeline", "--data", "taxi-azure:1", "--set", "seed=11"]) == 0
        pipeline_requests = len(azureml_service.proxy.log) - before
        run_id = next(iter(azureml_service.jobs.children))
        assert main(["--backend", "azure", "gate", "--run-id", run_id, "--model-name", "taxi-azure"]) == 0
        assert (
            main(["--backend", "azure", "register-model", "--run-id", run_id, "--model-name", "taxi-azure"])
            == 0
        )
    finally:
        patch.undo()
    return {"run_id": run_id, "state": state, "pipeline_requests": pipeline_requests}


@pytest.fixture
def connected(azure: Any, trained: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("AMLOPS_STATE_DIR", str(trained["state"]))
    return trained


@pytest.mark.slow
def test_register_data_is_idempotent_by_content(azure: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first = run_cli(capsys, "register-data", "--name", "idempotent", "--path", str(SAMPLE))
    again = run_cli(capsys, "register-data", "--name", "idempotent", "--path", str(SAMPLE))
    assert (first.code, first.result["created"], first.result["version"]) == (0, True, "1")
    assert (again.code, again.result["created"], again.result["version"]) == (0, False, "1")
    assert again.result["hash"] == first.result["hash"]
    assert again.result["path"].startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    versions = azure.store.children(azure.path("data", "idempotent", "versions"))
    assert [v["name"] for v in versions] == ["1"]


@pytest.mark.slow
def test_the_train_pipeline_ran_on_the_service_and_was_registered_with_lineage(
    connected: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    run = _backend().get_run(connected["run_id"])
    assert run.status == "Completed"
    assert run.steps == {
        "validate": "Completed",
        "prep": "Completed",
        "train": "Completed",
        "evaluate": "Completed",
    }
    assert (run.outputs["model_bundle"] / "model.onnx").is_file()
    assert (run.tags["data_asset"], run.tags["data_version"], run.tags["seed"]) == ("taxi-azure", "1", "11")
    model = _backend().get_model_version("taxi-azure", version="1")
    assert model.pipeline_run_id == connected["run_id"]
    assert model.tags["data_hash"].startswith("sha256:")
    assert float(model.tags["metric.r2"]) > 0.7
    assert "challenger" in model.aliases
    again = run_cli(capsys, "register-model", "--run-id", connected["run_id"], "--model-name", "taxi-azure")
    assert (again.code, again.result["created"], again.result["version"]) == (0, False, "1")


@pytest.mark.slow
def test_the_run_report_of_a_run_on_the_service(
    azure: Any, connected: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The same verb through the backend protocol: the facts come from the service (job, children, bundle,
    data tags, registry); the page is attached to the job (its "Outputs + logs"): uploaded into the artifact
    store, registered with the artifact service, and azure-ai-ml's own job download brings it back."""
    run_id = connected["run_id"]
    report = run_cli(
        capsys, "report", "--run-id", run_id, "--model-name", "taxi-azure", "--output-dir", str(tmp_path)
    )
    assert report.code == 0, report.stderr
    assert (report.result["passed"], report.result["registered_version"]) == (True, "1")
    blob = f"ExperimentRun/dcid.{run_id}/report/report.html"
    assert report.result["artifact"] == f"azureml://datastores/workspaceartifactstore/paths/{blob}"
    html = (tmp_path / "report.html").read_text()
    for kind in ("metrics", "scatter"):
        assert f'class="chart {kind}"' in html
    assert "taxi-azure:1" in html  # the validated data version
    assert "backend azure" in html
    listed = azure.jobs.history.artifacts.registered[(azure.workspace, "ExperimentRun", f"dcid.{run_id}")]
    assert listed["report/report.html"]["dataPath"] == {
        "dataStoreName": "workspaceartifactstore",
        "relativePath": blob,
    }
    downloaded = tmp_path / "downloaded"
    _backend().connection.ml.jobs.download(run_id, download_path=str(downloaded))
    assert (downloaded / "artifacts" / "report" / "report.html").read_text() == html


@pytest.mark.slow
def test_register_model_refuses_a_run_whose_gate_did_not_pass(
    connected: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    decision = connected["state"] / "azure" / "runs" / connected["run_id"] / "decision.json"
    saved = decision.read_text()
    decision.write_text(json.dumps({**json.loads(saved), "passed": False, "summary": "rmse too high"}))
    try:
        refused = run_cli(
            capsys, "register-model", "--run-id", connected["run_id"], "--model-name", "other-model"
        )
    finally:
        decision.write_text(saved)
    assert refused.code == 3
    assert "rmse too high" in refused.result["error"]
    assert _backend().list_model_versions("other-model") == []


@pytest.mark.slow
def test_validate_data_runs_the_component_as_a_command_job(
    connected: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_cli(capsys, "validate-data", "--name", "taxi-azure")
    assert outcome.code == 0, outcome.result
    assert outcome.result["success"] is True
    assert json.loads((Path(outcome.result["report"]) / "result.json").read_text())["success"] is True


def _job_puts(service: Any, since: int) -> list[str]:
    log = service.proxy.log[since:]
    return [target for method, _, target, _ in log if method == "PUT" and "/jobs/" in target]


@pytest.mark.slow
def test_validate_data_tags_the_version_it_validated_and_run_pipeline_trusts_it(
    azure: Any, connected: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from amlops.validation import contract_digest

    stored = azure.store.get(azure.path("data", "taxi-azure", "versions", "1"))["properties"]
    tags = stored["tags"]
    assert tags["amlops.validation"] == "passed"
    assert tags["amlops.validation.contract"] == contract_digest(ROOT / "data-science" / "contract.yml")
    assert tags["amlops.validation.at"]
    assert tags["amlops.content_hash"].startswith("sha256:")  # the registration's tags stay
    assert stored["dataUri"].startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert _backend().get_data("taxi-azure", "1").tags["amlops.validation"] == "passed"
    # The fixture's run-pipeline went ahead on the passed version.
    assert _backend().get_run(connected["run_id"]).tags["data_version"] == "1"


@pytest.mark.slow
def test_run_pipeline_refuses_data_that_failed_or_was_never_validated(
    azure: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.csv"
    pd.read_parquet(SAMPLE).drop(columns=["trip_distance"]).head(200).to_csv(broken, index=False)
    assert run_cli(capsys, "register-data", "--name", "unchecked-trips", "--path", str(broken)).code == 0
    before = len(azure.proxy.log)
    never = run_cli(capsys, "run-pipeline", "--data", "unchecked-trips:1")
    assert never.code == 3
    assert never.result["error"].startswith("data asset unchecked-trips:1 was never validated")
    assert "`amlops validate-data --name unchecked-trips --version 1`" in never.result["error"]
    assert _job_puts(azure, before) == []

    invalid = run_cli(capsys, "validate-data", "--name", "unchecked-trips", "--version", "1")
    assert invalid.code == 1
    assert invalid.result["validation"]["status"] == "failed"
    stored = azure.store.get(azure.path("data", "unchecked-trips", "versions", "1"))["properties"]
    assert stored["tags"]["amlops.validation"] == "failed"
    before = len(azure.proxy.log)
    refused = run_cli(capsys, "run-pipeline", "--data", "unchecked-trips:1")
    assert refused.code == 3
    assert (
        "data asset unchecked-trips:1 failed validation against the current contract"
        in (refused.result["error"])
    )
    assert "`amlops validate-data --name unchecked-trips --version 1`" in refused.result["error"]
    assert _job_puts(azure, before) == []  # nothing submitted


@pytest.mark.slow
def test_check_drift_compares_the_registered_snapshot_with_current_data(
    connected: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    same = run_cli(capsys, "check-drift", "--name", "taxi-azure", "--current", str(SAMPLE))
    assert same.code == 0, same.result
    assert same.result["drifted"] is False
    assert same.result["reference"] == "azureml:taxi-azure:1"
    shifted = tmp_path / "shifted.parquet"
    frame = pd.read_parquet(SAMPLE)
    frame["trip_distance"] = frame["trip_distance"] * 3 + 5
    frame.to_parquet(shifted)
    drifted = run_cli(capsys, "check-drift", "--name", "taxi-azure", "--current", str(shifted))
    assert drifted.code == 0
    assert drifted.result["drifted"] is True
    assert "trip_distance" in drifted.result["drifted_features"]


@pytest.mark.slow
def test_a_failed_pipeline_names_the_failing_step_and_its_log(
    azure: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.csv"
    pd.read_parquet(SAMPLE).drop(columns=["trip_distance"]).head(200).to_csv(broken, index=False)
    assert run_cli(capsys, "register-data", "--name", "broken-trips", "--path", str(broken)).code == 0
    outcome = run_cli(capsys, "run-pipeline", "--data", "broken-trips:1", "--allow-unvalidated")
    assert outcome.code == 1
    assert outcome.result["failed_step"] == "validate"
    assert outcome.result["steps"]["validate"] == "Failed"
    assert "trip_distance" in outcome.result["error"]  # the tail of the step's std_log.txt


@pytest.mark.slow
def test_deploy_invoke_promote_rollback_and_delete(
    azure: Any, connected: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    service = azure
    polls = service.online.operations.polls
    first = run_cli(
        capsys, "deploy-online", "--endpoint", "taxi-az", "--model-name", "taxi-azure", "--version", "1"
    )
    assert first.code == 0, first.result
    assert first.result["traffic"] == {"blue": 100}
    assert first.result["smoke_passed"] is True
    assert first.result["scoring_uri"] == "https://taxi-az.westeurope.inference.ml.azure.com/score"
    assert service.online.operations.polls > polls  # long-running operations were polled
    backend = _backend()
    assert backend.get_model_version("taxi-azure", alias="champion").version == "1"

    answer = run_cli(capsys, "invoke", "--endpoint", "taxi-az", "--request", str(SMOKE))
    rows = request_rows(json.loads(SMOKE.read_text()))
    assert answer.code == 0
    assert answer.result["deployment"] == "blue"
    assert len(answer.result["response"]["predictions"]) == rows
    own = run_cli(capsys, "invoke", "--endpoint", "taxi-az")  # the model's own, from its downloaded bundle
    assert (own.code, own.result["request"]) == (0, "taxi-azure:1/smoke-request.json")
    assert len(own.result["response"]["predictions"]) == 5
    assert first.result["smoke_request"] == "taxi-azure:1/smoke-request.json"

    # a second version of the same bundle, to promote and roll back
    bundle = backend.download_model("taxi-azure", "1")
    second = backend.register_model_version(
        "taxi-azure", bundle_dir=bundle, pipeline_run_id="manual-copy", tags={"note": "copy"}
    )
    assert second.version == "2"

    # a smoke test that fails removes the new deployment and changes nothing else
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"nope": 1}]}))
    failed = run_cli(
        capsys,
        "deploy-online",
        "--endpoint",
        "taxi-az",
        "--model-name",
        "taxi-azure",
        "--version",
        "2",
        "--smoke-request",
        str(bad),
    )
    assert failed.code == 1
    assert failed.result["smoke_passed"] is False
    endpoint = backend.get_endpoint("taxi-az")
    assert [d.name for d in endpoint.deployments] == ["blue"]
    assert endpoint.traffic == {"blue": 100}
    assert backend.get_model_version("taxi-azure", alias="champion").version == "1"

    # a fault between the champion's two tag writes leaves the previous champion in force ...
    fault = service.arm.fault("PUT", r"/models/taxi-azure/versions/1$", 400, times=1)
    promoted = run_cli(
        capsys, "deploy-online", "--endpoint", "taxi-az", "--model-name", "taxi-azure", "--version", "2"
    )
    assert promoted.code == 2
    assert fault.hits == 1
    assert backend.get_endpoint("taxi-az").traffic == {"blue": 0, "green": 100}
    assert backend.get_model_version("taxi-azure", alias="champion").version == "1"
    # ... and the same deploy again finishes the move
    again = run_cli(
        capsys, "deploy-online", "--endpoint", "taxi-az", "--model-name", "taxi-azure", "--version", "2"
    )
    assert again.code == 0
    assert again.result["created"] is False
    assert backend.get_model_version("taxi-azure", alias="champion").version == "2"
    champions = [v for v in backend.list_model_versions("taxi-azure") if "champion" in v.aliases]
    assert [v.version for v in champions] == ["2"]

    back = run_cli(capsys, "rollback", "--endpoint", "taxi-az")
    assert back.code == 0, back.result
    assert (back.result["deployment"], back.result["version"], back.result["traffic"]) == (
        "blue",
        "1",
        {"blue": 100, "green": 0},
    )
    assert backend.get_model_version("taxi-azure", alias="champion").version == "1"

    status = run_cli(capsys, "status")
    assert status.code == 0
    assert any(
        e["name"] == "taxi-az" and e["traffic"] == {"blue": 100, "green": 0}
        for e in status.result["endpoints"]
    )

    deleted = run_cli(capsys, "delete-endpoint", "--endpoint", "taxi-az")
    assert deleted.code == 0
    assert backend.get_endpoint("taxi-az") is None
    assert not any(key.startswith("taxi-az/") for key in service.online.servers)


@pytest.mark.slow
def test_drift_on_the_inputs_the_live_deployment_collected(
    azure: Any, connected: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The deployment spec's data_collector: the scoring script's collector client sends each scored
    request's inputs to the platform's sidecar, which stores them in the workspace's blob store; check-drift
    --collected-from reads them through the data asset azure-ai-ml registered on deploy, on the service."""
    service = azure
    deployed = run_cli(
        capsys, "deploy-online", "--endpoint", "taxi-mon", "--model-name", "taxi-azure", "--version", "1"
    )
    assert deployed.code == 0, deployed.result
    sidecar = service.online.collectors["taxi-mon/blue"]
    deadline = time.monotonic() + 20
    while not sidecar.rows["model_inputs"] and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # longer than the scoring script's flush interval: every smoke row is in
    smoke_rows = sidecar.rows["model_inputs"]  # the smoke test's request was scored, so collected
    assert smoke_rows >= 1
    table = drifted_table(ROOT, tmp_path / "drifted.parquet", rows=1_200, seed=5)
    for index, body in enumerate(request_bodies(table, per_request=400)):
        request = tmp_path / f"request-{index}.json"
        request.write_bytes(body)
        assert run_cli(capsys, "invoke", "--endpoint", "taxi-mon", "--request", str(request)).code == 0
    deadline = time.monotonic() + 30
    expected = smoke_rows + 1_200
    # The client posts each batch's inputs, then its outputs, from its own thread: wait for both.
    while (
        min(sidecar.rows["model_inputs"], sidecar.rows["model_outputs"]) < expected
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert sidecar.rows["model_inputs"] == expected  # every scored row, logged in batches
    assert sidecar.rows["model_outputs"] == sidecar.rows["model_inputs"]
    container = service.container(service.workspaces[service.workspace])
    stored = [b.name for b in container.list_blobs(name_starts_with="modelDataCollector/taxi-mon/blue/")]
    assert stored
    assert {name.split("/")[3] for name in stored} == {"model_inputs", "model_outputs"}, stored
    asset = _backend().collected_inputs("taxi-mon")
    assert (asset.name, asset.version) == ("taxi-mon-blue-model_inputs", "1")
    assert asset.uri.endswith("/paths/modelDataCollector/taxi-mon/blue/model_inputs/")

    start = len(service.proxy.log)
    drift = run_cli(capsys, "check-drift", "--name", "taxi-azure", "--collected-from", "taxi-mon")
    assert drift.code == 0, drift.result
    assert drift.result["drifted"] is True
    assert drift.result["current_rows"] >= 1_200
    assert drift.result["current"].startswith("taxi-mon/blue model inputs since ")
    jobs = [t for m, _, t, _ in service.proxy.log[start:] if m == "PUT" and "/jobs/" in t]
    assert jobs, "the drift component did not run on the service"

    # a deployment that collects nothing says what to change
    assert run_cli(capsys, "delete-endpoint", "--endpoint", "taxi-mon").code == 0
    missing = run_cli(capsys, "check-drift", "--name", "taxi-azure", "--collected-from", "taxi-mon")
    assert missing.code != 0
    assert "taxi-mon" in missing.result["error"]


@pytest.mark.slow
def test_conflict_throttling_and_a_refused_sign_in(azure: Any, capsys: pytest.CaptureFixture[str]) -> None:
    throttle = azure.arm.fault(
        "GET", r"/datastores/workspaceblobstore$", 429, times=1, headers={"Retry-After": "1"}
    )
    ok = run_cli(capsys, "register-data", "--name", "throttled", "--path", str(SMOKE))
    assert ok.code == 0
    assert throttle.hits == 1

    conflict = azure.arm.fault(
        "PUT", r"/data/conflicted/versions/1$", 409, body={"error": {"code": "Conflict", "message": "busy"}}
    )
    clash = run_cli(capsys, "register-data", "--name", "conflicted", "--path", str(SMOKE))
    assert clash.code == 1
    assert conflict.hits == 1
    assert "register data asset conflicted:1" in clash.result["error"]
    assert "conflict" in clash.result["error"]

    azure.identity.refused_clients.add(azure.identity.client_id)
    try:
        refused = run_cli(capsys, "status")
    finally:
        azure.identity.refused_clients.clear()
    assert refused.code == 2
    assert "cannot sign in to Azure" in refused.result["error"]
    assert "AADSTS700016" in refused.result["error"]


@pytest.mark.slow
def test_forbidden_quota_an_expired_token_and_a_hanging_operation(
    azure: Any,
    connected: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forbidden = azure.arm.fault(
        "GET",
        r"/datastores/workspaceblobstore$",
        403,
        times=1,
        body={
            "error": {
                "code": "AuthorizationFailed",
                "message": "The client does not have authorization to perform action "
                "'Microsoft.MachineLearningServices/workspaces/datastores/read'",
            }
        },
    )
    refused = run_cli(capsys, "register-data", "--name", "forbidden", "--path", str(SMOKE))
    assert (refused.code, forbidden.hits) == (2, 1)
    assert "forbidden (AuthorizationFailed" in refused.result["error"]
    assert "'AzureML Data Scientist' role on the workspace" in refused.result["error"]

    quota = azure.arm.fault(
        "PUT",
        r"/onlineEndpoints/taxi-quota/deployments/[^/]+$",
        400,
        times=1,
        body={
            "error": {
                "code": "BadRequest",
                "message": "Not enough quota available for Standard_DS3_v2 in SubscriptionId "
                f"{azure.subscription}. Current usage/limit: 4/6. Additional needed: 8",
            }
        },
    )
    argv = ["--endpoint", "taxi-quota", "--model-name", "taxi-azure", "--version", "1"]
    short = run_cli(capsys, "deploy-online", *argv)
    assert (short.code, quota.hits) == (1, 1)
    assert "create online deployment taxi-quota/blue: quota exceeded" in short.result["error"]
    assert _backend().get_endpoint("taxi-quota").deployments == ()
    assert run_cli(capsys, "delete-endpoint", "--endpoint", "taxi-quota").code == 0

    azure.identity.token_lifetime_s = -120  # every token the emulated Entra ID issues has already expired
    try:
        expired = run_cli(capsys, "status")
    finally:
        azure.identity.token_lifetime_s = 3600
    assert expired.code == 2
    assert "the token has expired" in expired.result["error"]

    monkeypatch.setenv("AMLOPS_AZURE_LRO_TIMEOUT_S", "3")
    azure.online.operations.hold = True
    try:
        hung = run_cli(capsys, "deploy-online", "--endpoint", "taxi-hang", *argv[2:])
    finally:
        azure.online.operations.hold = False
    assert hung.code == 1
    assert "create online endpoint taxi-hang: still InProgress after 3 s" in hung.result["error"]
    assert "AMLOPS_AZURE_LRO_TIMEOUT_S" in hung.result["error"]
    assert run_cli(capsys, "delete-endpoint", "--endpoint", "taxi-hang").code == 0


def test_an_api_version_the_emulator_does_not_know_fails_the_test(
    azure: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guard behind every test here: with the emulator knowing none of the SDK's api-versions (what an
    azure-ai-ml upgrade sending new ones looks like), the requests are recorded and refused as ARM does."""
    known, before = azure.arm.known_api_versions, len(azure.arm.unknown_api_versions)
    azure.arm.known_api_versions = {"1999-01-01"}
    try:
        outcome = run_cli(capsys, "status")
    finally:
        azure.arm.known_api_versions = known
        seen = azure.arm.unknown_api_versions[before:]
        del azure.arm.unknown_api_versions[before:]  # recorded on purpose: not this test's failure
    assert outcome.code == 2
    assert "No registered resource provider found for API version" in outcome.result["error"]
    assert seen
    assert seen[0].startswith("GET /subscriptions/")


@pytest.mark.slow
def test_azure_devops_credential_and_a_separate_process(azure: Any, tmp_path: Path) -> None:
    """The CLI as a CI step runs it: its own process, the Azure Pipelines credential, through the proxy."""
    env = {**os.environ, **azure.environment(credential="azure-devops"), "AMLOPS_STATE_DIR": str(tmp_path)}
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        env.pop(name, None)
    before = azure.identity.oidc_requests
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "amlops.cli",
            "--backend",
            "azure",
            "register-data",
            "--name",
            "from-ado",
            "--path",
            str(SMOKE),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["created"] is True
    assert azure.identity.oidc_requests > before
    assert any(i["issuer"].startswith("https://vstoken.dev.azure.com") for i in azure.identity.issued)


@pytest.mark.slow
def test_deploy_batch_runs_a_batch_job_and_downloads_its_predictions(
    azure: Any, connected: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frame = pd.read_parquet(SAMPLE).head(25)
    inputs = tmp_path / "in"
    inputs.mkdir()
    frame.head(10).to_parquet(inputs / "a.parquet")
    frame.tail(15).to_csv(inputs / "b.csv", index=False)
    out = tmp_path / "out"
    argv = ["--endpoint", "taxi-batch-az", "--model-name", "taxi-azure", "--version", "1"]
    first = run_cli(capsys, "deploy-batch", *argv, "--input", str(inputs), "--output", str(out))
    assert first.code == 0, first.result
    assert (first.result["rows"], first.result["deployment"]) == (25, "v1")
    assert first.result["job"].startswith("batchjob-")
    assert {"source_file", "trip_id", "prediction", "error"} <= set(first.result["columns"])
    scored = pd.concat([pd.read_csv(p) for p in sorted(out.glob("predictions-*.csv"))])
    assert sorted(scored["trip_id"]) == sorted(frame["trip_id"])
    assert scored["error"].isna().all()

    endpoint = azure.store.get(azure.path("batchEndpoints", "taxi-batch-az"))
    assert endpoint["properties"]["defaults"] == {"deploymentName": "v1"}
    assert endpoint["properties"]["authMode"] == "AADToken"
    deployment = azure.store.get(azure.path("batchEndpoints", "taxi-batch-az", "deployments", "v1"))
    properties = deployment["properties"]
    assert properties["model"]["assetId"].endswith("/models/taxi-azure/versions/1")
    assert properties["outputAction"] == "SummaryOnly"
    assert properties["compute"].endswith("/computes/cpu-cluster")
    assert (properties["miniBatchSize"], properties["retrySettings"]["maxRetries"]) == (10, 2)

    status = run_cli(capsys, "status")
    batch = [e for e in status.result["endpoints"] if e["name"] == "taxi-batch-az"]
    assert [e["kind"] for e in batch] == ["batch"]

    # a scoring script that cannot start fails the job: exit 1, naming the job and the endpoint
    broken = tmp_path / "broken-deployment.yml"
    spec = (ROOT / "pipelines/azureml/batch-deployment.yml").read_text()
    code = (ROOT / "data-science/src").resolve()
    broken_code = tmp_path / "code"
    shutil.copytree(code, broken_code, ignore=shutil.ignore_patterns("__pycache__"))
    (broken_code / "datascience/batch_score.py").write_text(
        "def init():\n    raise SystemExit(3)\n\ndef run(b):\n    return b\n"
    )
    broken.write_text(
        spec.replace("code: ../../data-science/src", f"code: {broken_code}").replace(
            "conda_file: ../../data-science/environment/conda.yml",
            f"conda_file: {ROOT / 'data-science/environment/conda.yml'}",
        )
    )
    failed = run_cli(
        capsys,
        "deploy-batch",
        *argv[:4],
        "--version",
        "1",
        "--deployment",
        "broken",
        "--deployment-spec",
        str(broken),
        "--input",
        str(inputs),
    )
    assert failed.code == 1, failed.result
    assert "on taxi-batch-az/broken ended Failed on Azure ML" in failed.result["error"]
    assert "https://ml.azure.com/runs/batchjob-" in failed.result["error"]
