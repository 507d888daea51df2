"""Serving settings from an online deployment spec and the environment (pure)."""

import pytest

from amlops.backends.local.serving import (
    DEFAULT_LOG_KEEP,
    DEFAULT_LOG_MAX_BYTES,
    DEFAULT_REQUEST_TIMEOUT_MS,
    DEFAULT_THREADS,
    WORKER_CLASS,
    LogRotation,
    ServerSettings,
    log_rotation,
    recycle_reason,
    server_settings,
)
from amlops.errors import ConfigError


def test_spec_settings_map_to_workers_threads_and_timeout():
    spec = {
        "instance_count": 2,
        "request_settings": {
            "request_timeout_ms": 3000,
            "max_concurrent_requests_per_instance": 3,
            "max_queue_wait_ms": 200,
        },
    }
    assert server_settings(spec, cpu_count=8) == ServerSettings(
        workers=2, threads=3, request_timeout_ms=3000, max_queue_wait_ms=200
    )


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
        (
            {"request_settings": {"max_queue_wait_ms": 0}},
            "spec: request_settings.max_queue_wait_ms: must be a positive integer, got 0",
        ),
    ],
)
def test_bad_settings_name_the_key(spec, message):
    with pytest.raises(ConfigError) as caught:
        server_settings(spec, cpu_count=2)
    assert str(caught.value) == message


def test_environment_for_the_server():
    env = ServerSettings(workers=3, threads=2, request_timeout_ms=2500, max_queue_wait_ms=200).environ()
    assert env["WORKER_COUNT"] == "3"
    assert env["SCORING_TIMEOUT_MS"] == "2500"
    assert env["AMLOPS_READ_TIMEOUT_S"] == "2.5"
    assert (env["AMLOPS_SCORING_SLOTS"], env["AMLOPS_MAX_QUEUE_WAIT_MS"]) == ("2", "200")
    # twice as many threads as scoring slots: the others read requests while the slots are busy
    assert env["GUNICORN_CMD_ARGS"] == f"--worker-class {WORKER_CLASS} --threads 4 --no-control-socket"


def test_log_rotation_defaults_and_settings():
    assert log_rotation({}) == LogRotation(max_bytes=DEFAULT_LOG_MAX_BYTES, keep=DEFAULT_LOG_KEEP)
    assert (DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_KEEP) == (10 * 1024 * 1024, 5)
    chosen = log_rotation({"AMLOPS_SERVER_LOG_MAX_BYTES": "4096", "AMLOPS_SERVER_LOG_KEEP": " 2 "})
    assert chosen == LogRotation(max_bytes=4096, keep=2)
    assert chosen.environ("/s/blue.log") == {
        "AMLOPS_SERVER_LOG": "/s/blue.log",
        "AMLOPS_SERVER_LOG_MAX_BYTES": "4096",
        "AMLOPS_SERVER_LOG_KEEP": "2",
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"AMLOPS_SERVER_LOG_MAX_BYTES": "10M"},
            "AMLOPS_SERVER_LOG_MAX_BYTES: must be a positive integer, got '10M'",
        ),
        ({"AMLOPS_SERVER_LOG_KEEP": "0"}, "AMLOPS_SERVER_LOG_KEEP: must be a positive integer, got '0'"),
    ],
)
def test_bad_log_rotation_names_the_variable(environ, message):
    with pytest.raises(ConfigError) as caught:
        log_rotation(environ)
    assert str(caught.value) == message


def test_a_worker_is_recycled_when_overdue_calls_would_starve_it_or_one_is_stuck():
    assert recycle_reason([], 100.0, limit=2, worker_timeout_s=300) is None
    assert recycle_reason([99.0], 100.0, limit=2, worker_timeout_s=300) is None
    assert (
        recycle_reason([98.0, 99.0], 100.0, limit=2, worker_timeout_s=300)
        == "2 scoring calls are still running after their request timed out"
    )
    assert (
        recycle_reason([0.0], 300.0, limit=2, worker_timeout_s=300)
        == "a scoring call has been running for 300 s (worker timeout 300 s)"
    )


def test_environment_variables_of_the_spec():
    from amlops.backends.local.serving import environment_variables

    spec = {"environment_variables": {"A": "x", "N": 3, "ON": True, "F": 0.5}}
    assert environment_variables(spec) == {"A": "x", "N": "3", "ON": "true", "F": "0.5"}
    assert environment_variables({}) == {}
    for bad, message in (
        ({"environment_variables": ["A=1"]}, "spec: environment_variables must be a mapping of NAME: value"),
        (
            {"environment_variables": {"A=B": "1"}},
            "spec: environment_variables: 'A=B' is not a variable name",
        ),
        (
            {"environment_variables": {"A": None}},
            "spec: environment_variables.A: must be a string or a number",
        ),
        (
            {"environment_variables": {"A": {"b": 1}}},
            "spec: environment_variables.A: must be a string or a number",
        ),
    ):
        with pytest.raises(ConfigError) as caught:
            environment_variables(bad)
        assert str(caught.value) == message
