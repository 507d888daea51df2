"""deploy-online / invoke / rollback / delete-endpoint against real inference-server processes."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from amlops.processes import alive

pytestmark = pytest.mark.slow


def register(cli, trained, *sets: str) -> str:
    run_id = trained(*sets)
    assert cli("gate", "--run-id", run_id, "--model-name", "m").result["passed"] is True
    return cli("register-model", "--run-id", run_id, "--model-name", "m").result["version"]


def predictions(cli, request: Path, *extra: str) -> list[float]:
    return cli("invoke", "--endpoint", "ep", "--request", request, *extra).result["response"]["predictions"]


def champion(cli) -> str | None:
    return next((m["version"] for m in cli("status").result["models"] if "champion" in m["aliases"]), None)


def test_blue_green_malformed_requests_and_rollback(cli, trained, project: Path, tmp_path: Path) -> None:
    v1 = register(cli, trained, "rmse=3.0", "scale=2.0")
    first = cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--alias", "challenger")
    assert first.code == 0, first.stderr
    assert (first.result["deployment"], first.result["traffic"], first.result["smoke_passed"]) == (
        "blue",
        {"blue": 100},
        True,
    )
    assert first.result["scoring_uri"].startswith("http://127.0.0.1:")
    assert first.result["smoke_request"] == f"m:{v1}/smoke-request.json"  # the model's own
    assert champion(cli) == v1
    served = cli("invoke", "--endpoint", "ep")  # no --request: the served model's own smoke request
    assert (served.code, served.result["request"]) == (0, f"m:{v1}/smoke-request.json")
    assert served.result["response"]["predictions"] == [2.0, 5.0]

    good = project / "pipelines/azureml/smoke-request.json"
    assert predictions(cli, good) == [2.0, 5.0]

    # A malformed request gets a 4xx JSON error naming the field; the server keeps serving.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [{"x": "not-a-number"}]}))
    rejected = cli("invoke", "--endpoint", "ep", "--request", bad)
    assert rejected.code == 1
    assert rejected.result["status_code"] == 400
    assert rejected.result["response"]["field"] == "x"
    with urllib.request.urlopen(first.result["scoring_uri"].removesuffix("score")) as response:
        assert response.status == 200
    assert cli("invoke", "--endpoint", "ep", "--request", good).code == 0

    # Same version again: nothing new.
    again = cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", v1)
    assert (again.code, again.result["created"], again.result["deployment"]) == (0, False, "blue")

    # A better model goes to green; blue stays up at 0 % for rollback.
    v2 = register(cli, trained, "rmse=2.0", "scale=3.0")
    second = cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--alias", "challenger")
    assert second.code == 0, second.stderr
    assert (second.result["deployment"], second.result["traffic"]) == ("green", {"blue": 0, "green": 100})
    assert champion(cli) == v2
    assert predictions(cli, good) == [3.0, 7.5]
    blue = cli("invoke", "--endpoint", "ep", "--request", good, "--deployment", "blue")
    assert (blue.result["deployment"], blue.result["response"]["predictions"]) == ("blue", [2.0, 5.0])

    back = cli("rollback", "--endpoint", "ep")
    assert back.code == 0
    assert (back.result["deployment"], back.result["version"], back.result["traffic"]) == (
        "blue",
        v1,
        {"blue": 100, "green": 0},
    )
    assert champion(cli) == v1
    assert predictions(cli, good) == [2.0, 5.0]
    assert cli("rollback", "--endpoint", "ep").code == 3  # nothing earlier than the first deployment


def test_failed_smoke_test_removes_the_new_deployment(cli, trained, tmp_path: Path, state_dir: Path) -> None:
    v1 = register(cli, trained, "rmse=3.0")
    assert cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", v1).code == 0
    v2 = register(cli, trained, "rmse=2.0")
    bad = tmp_path / "bad-smoke.json"
    bad.write_text(json.dumps({"data": [{"x": None}]}))
    failed = cli(
        "deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", v2, "--smoke-request", bad
    )
    assert failed.code == 1
    assert failed.result["smoke_passed"] is False
    assert "HTTP 400" in failed.result["error"]
    assert (
        f"sent the smoke request {bad} (chosen by `smokeRequest` in pipelines/config/<env>.yml, "
        "or the --smoke-request option; its rows must fit data-science/contract.yml)"
    ) in failed.result["error"]
    assert failed.result["smoke_request"] == str(bad)
    endpoint = cli("status").result["endpoints"][0]
    assert endpoint["traffic"] == {"blue": 100}
    assert set(endpoint["deployments"]) == {"blue"}
    assert champion(cli) == v1

    state = json.loads((state_dir / "endpoints" / "ep.json").read_text())
    pid = state["deployments"]["blue"]["pid"]
    assert alive(pid)
    deleted = cli("delete-endpoint", "--endpoint", "ep")
    assert deleted.result == {"deleted": ["ep"]}
    assert not alive(pid)
    assert cli("status").result["endpoints"] == []


def test_smoke_request_origin_names_the_file_and_the_setting() -> None:
    from amlops.verbs.deploy_online import smoke_request_origin

    assert smoke_request_origin("pipelines/azureml/smoke-request.json", "dev") == (
        "the smoke request pipelines/azureml/smoke-request.json (chosen by `smokeRequest` in "
        "pipelines/config/dev.yml, or the --smoke-request option; "
        "its rows must fit data-science/contract.yml)"
    )


def test_a_model_without_its_own_smoke_request_names_the_setting(tmp_path: Path, monkeypatch) -> None:
    from amlops.backends.base import ModelVersion
    from amlops.errors import UsageError
    from amlops.verbs.deploy_online import model_smoke_request

    class Registry:  # the one backend call model_smoke_request makes (a stand-in, not a Backend)
        def download_model(self, name: str, version: str) -> Path:
            return tmp_path

    monkeypatch.setenv("AMLOPS_ENVIRONMENT", "prod")
    model = ModelVersion("m", "3")
    with pytest.raises(UsageError) as missing:
        model_smoke_request(Registry(), model)
    assert str(missing.value) == (
        "model m:3 carries no smoke-request.json (its evaluate step wrote none); set `smokeRequest` in "
        "pipelines/config/prod.yml to a request file, or pass --smoke-request"
    )
    (tmp_path / "smoke-request.json").write_text(json.dumps({"data": [{"x": 1}, {"x": 2}, {"x": 3}]}))
    smoke = model_smoke_request(Registry(), model)
    assert (smoke.rows, smoke.name) == (3, "m:3/smoke-request.json")
    assert smoke.origin == (
        "the model's own smoke request (smoke-request.json in the bundle of m:3, test rows the evaluate "
        "step wrote; to send a file instead, set `smokeRequest` in pipelines/config/prod.yml or pass "
        "--smoke-request)"
    )
