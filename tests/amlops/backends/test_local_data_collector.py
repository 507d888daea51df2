"""The local data collector: the spec's `data_collector`, the stored lines, and a real server whose scoring
script logs with Azure ML's own collector client (azureml-ai-monitoring) into the sidecar."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amlops import processes
from amlops.backends.local.data_collector import (
    collected_folder,
    collection_config,
    envelope,
    server_environ,
)
from amlops.backends.local.endpoints import free_port, launch_inference_server
from amlops.backends.local.serving import ServerSettings
from amlops.errors import ConfigError

SPEC = {
    "data_collector": {
        "collections": {"model_inputs": {"enabled": "True"}, "model_outputs": {"enabled": "False"}},
        "sampling_rate": 0.5,
    }
}


def test_the_spec_names_the_enabled_collections_and_the_sampling_rate() -> None:
    assert collection_config(SPEC) == {
        "collections": {
            "model_inputs": {"enabled": True, "sampleRatePercentage": 50},
            "model_outputs": {"enabled": False, "sampleRatePercentage": 50},
        },
        "runMode": "cloud",
    }
    assert collection_config({}) is None
    disabled = {"data_collector": {"collections": {"model_inputs": {"enabled": False}}}}
    assert collection_config(disabled) is None


@pytest.mark.parametrize(
    ("collector", "message"),
    [
        ("yes", "data_collector must be a mapping"),
        ({"collections": {}}, "data_collector.collections must map"),
        ({"collections": {"model_inputs": {"enabled": "maybe"}}}, "model_inputs.enabled: must be 'True'"),
        ({"collections": {"model_inputs": {}}}, "model_inputs must be a mapping with `enabled`"),
        (
            {"collections": {"model_inputs": {"enabled": True}}, "sampling_rate": 2},
            "sampling_rate must be a number from 0.0 to 1.0",
        ),
    ],
)
def test_a_malformed_data_collector_names_the_key(collector: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        collection_config({"data_collector": collector}, source="online-deployment.yml")
    assert "online-deployment.yml" in str(raised.value)


def test_a_payload_becomes_the_line_azure_ml_stores() -> None:
    headers = {
        "Content-Type": "application/json",
        "trace-id": "abc",
        "ce-type": "azureml.inference.model_inputs",
        "ce-time": "1764676800",
        "ce-collect-data-type": "pandas.core.frame.DataFrame",
        "ce-agent": "azureml-ai-monitoring/1.0.0",
    }
    received = datetime(2030, 1, 1, tzinfo=UTC)
    collection, line = envelope(headers, b'[{"x": 1}]', source="local:ep/blue", received=received)
    assert collection == "model_inputs"
    assert line["data"] == [{"x": 1}]
    assert (line["id"], line["time"], line["type"]) == (
        "abc",
        "2025-12-02T12:00:00Z",
        "azureml.inference.model_inputs",
    )
    with pytest.raises(ValueError, match="ce-type"):
        envelope({"Content-Type": "application/json"}, b"[]", source="s", received=received)
    with pytest.raises(ValueError, match="JSON list"):
        envelope(headers, b'{"x": 1}', source="s", received=received)


SCORE_PY = """\
import json

import pandas as pd
from azureml.ai.monitoring import Collector

inputs = None


def init():
    global inputs
    inputs = Collector(name="model_inputs")


def run(raw_data):
    records = json.loads(raw_data)["data"]
    inputs.collect(pd.DataFrame.from_records(records))
    return {"rows": len(records)}
"""


def _post(port: int, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/score",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_a_server_collects_what_its_scoring_script_logs(tmp_path: Path) -> None:
    code, model, folder = tmp_path / "code", tmp_path / "model", tmp_path / "deployment"
    for path in (code, model, folder):
        path.mkdir()
    (code / "score.py").write_text(SCORE_PY)
    root = tmp_path / "state"
    config = collection_config({"data_collector": {"collections": {"model_inputs": {"enabled": "True"}}}})
    assert config is not None
    environ = server_environ(
        config, folder=folder, root=root, endpoint="ep", deployment="blue", port=free_port()
    )
    process, port = launch_inference_server(
        code,
        code / "score.py",
        model,
        tmp_path / "server.log",
        label="collecting",
        environ={**os.environ, **environ},
        settings=ServerSettings(workers=2),
    )
    try:
        rows = [{"x": 1.5, "when": "2026-01-01T08:00:00"}, {"x": None, "when": "2026-01-02T09:30:00"}]
        for _ in range(3):
            assert _post(port, {"data": rows}) == {"rows": 2}
        target = collected_folder(root, "ep", "blue", "model_inputs")
        deadline = time.monotonic() + 20
        lines: list[dict] = []
        while time.monotonic() < deadline and len(lines) < 3:
            lines = [
                json.loads(line)
                for file in sorted(target.rglob("*.jsonl"))
                for line in file.read_text().splitlines()
            ]
            time.sleep(0.1)
        assert len(lines) == 3, (tmp_path / "server.log").read_text()[-3000:]
        assert all(line["data"] == rows for line in lines)
        assert {line["type"] for line in lines} == {"azureml.inference.model_inputs"}
        assert {line["source"] for line in lines} == {"local:ep/blue"}
        # the hourly rolling layout: <collection>/YYYY/MM/DD/HH/<file>.jsonl
        [file] = {f.relative_to(target).parent.as_posix() for f in target.rglob("*.jsonl")}
        assert len(file.split("/")) == 4
    finally:
        processes.stop(process.pid, reap=process.poll)
