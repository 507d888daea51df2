"""`auth_mode: key` on a local online endpoint: keys like a managed endpoint's, 401 without them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from amlops.backends.local.serving_worker import KEY_REQUIRED

pytestmark = pytest.mark.slow


def post(uri: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(uri, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def keyed(cli, trained, project: Path) -> dict:
    (project / "pipelines/azureml/online-endpoint.yml").write_text("name: fake-endpoint\nauth_mode: key\n")
    run_id = trained("rmse=3.0", "scale=2.0")
    assert cli("gate", "--run-id", run_id, "--model-name", "m").code == 0
    version = cli("register-model", "--run-id", run_id, "--model-name", "m").result["version"]
    deployed = cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", version)
    assert deployed.code == 0, deployed.stderr  # the smoke test sent the key
    return deployed.result


def test_keys_are_required_and_invoke_sends_them(cli, keyed: dict, project: Path) -> None:
    assert KEY_REQUIRED == "this endpoint needs a key: send `Authorization: Bearer <key>` (amlops get-keys)"
    keys = cli("get-keys", "--endpoint", "ep")
    assert keys.code == 0
    assert keys.result["auth_mode"] == "key"
    primary, secondary = keys.result["primaryKey"], keys.result["secondaryKey"]
    assert len(primary) >= 32
    assert primary != secondary

    body = (project / "pipelines/azureml/smoke-request.json").read_bytes()
    uri = keyed["scoring_uri"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": primary}, {"X-Key": primary}):
        status, answer = post(uri, body, headers)
        assert status == 401, headers
        assert answer["error"] == KEY_REQUIRED
    for key in (primary, secondary):
        assert post(uri, body, {"Authorization": f"Bearer {key}"}) == (200, {"predictions": [2.0, 5.0]})

    served = cli("invoke", "--endpoint", "ep", "--request", project / "pipelines/azureml/smoke-request.json")
    assert served.result["response"] == {"predictions": [2.0, 5.0]}
    with urllib.request.urlopen(uri.removesuffix("score"), timeout=10) as response:  # the liveness probe
        assert response.status == 200
    assert cli("status").result["endpoints"][0]["name"] == "ep"  # the keys are not an endpoint record


def test_deleting_the_endpoint_deletes_its_keys(cli, keyed: dict, state_dir: Path) -> None:
    keys_file = state_dir / "endpoints" / "ep.keys"
    assert oct(keys_file.stat().st_mode & 0o777) == "0o600"
    assert cli("delete-endpoint", "--all").result == {"deleted": ["ep"]}
    assert not keys_file.exists()
    assert cli("status").result["endpoints"] == []


def test_an_endpoint_without_auth_mode_key_has_no_keys(cli, trained, project: Path) -> None:
    (project / "pipelines/azureml/online-endpoint.yml").write_text("name: fake-endpoint\nauth_mode: none\n")
    run_id = trained("rmse=3.0", "scale=2.0")
    assert cli("gate", "--run-id", run_id, "--model-name", "m").code == 0
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    failed = cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", "1")
    assert failed.code == 2
    assert "auth_mode: 'none' is not supported" in failed.result["error"]
