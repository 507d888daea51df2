"""Serving settings from an online deployment spec (pure)."""

import pytest

from amlops.backends.local.serving import (
    DEFAULT_REQUEST_TIMEOUT_MS,
    DEFAULT_THREADS,
    WORKER_CLASS,
    ServerSettings,
    server_settings,
)
from amlops.errors import ConfigError


def test_spec_settings_map_to_workers_threads_and_timeout():
    spec = {
        "instance_count": 2,
        "request_settings": {"request_timeout_ms": 3000, "max_concurrent_requests_per_instance": 3},
    }
    assert server_settings(spec, cpu_count=8) == ServerSettings(workers=2, threads=3, request_timeout_ms=3000)


def test_without_settings_the_machine_is_used():
    assert server_settings({}, cpu_count=6) == ServerSettings(
        workers=6, threads=DEFAULT_THREADS, request_timeout_ms=DEFAULT_REQUEST_TIMEOUT_MS
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"instance_count": 0}, "spec: instance_count: must be a positive integer, got 0"),
        ({"instance_count": "2"}, "spec: instance_count: must be a positive integer, got '2'"),
        ({"instance_count": True}, "spec: instance_count: must be a positive integer, got True"),
        (
            {"request_settings": {"max_concurrent_requests_per_instance": -1}},
            "spec: request_settings.max_concurrent_requests_per_instance: must be a positive integer, got -1",
        ),
        (
            {"request_settings": {"request_timeout_ms": 180_001}},
            "spec: request_settings.request_timeout_ms: at most 180000, got 180001",
        ),
        ({"request_settings": [1]}, "spec: request_settings must be a mapping"),
    ],
)
def test_bad_settings_name_the_key(spec, message):
    with pytest.raises(ConfigError) as caught:
        server_settings(spec, cpu_count=2)
    assert str(caught.value) == message


def test_environment_for_the_server():
    env = ServerSettings(workers=3, threads=2, request_timeout_ms=2500).environ()
    assert env["WORKER_COUNT"] == "3"
    assert env["SCORING_TIMEOUT_MS"] == "2500"
    assert env["AMLOPS_READ_TIMEOUT_S"] == "2.5"
    assert env["GUNICORN_CMD_ARGS"] == f"--worker-class {WORKER_CLASS} --threads 2 --no-control-socket"
