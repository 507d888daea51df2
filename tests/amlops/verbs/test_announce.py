"""amlops announce: the newest registry event sent over real HTTP to a receiver on this machine, as GitHub's
repository_dispatch API and an Azure DevOps incoming webhook receive it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from amlops.backends.local.events import EventLog
from amlops.verbs.announce import GITHUB_PAYLOAD_KEYS, announce

CI_VARIABLES = ("GITHUB_ACTIONS", "TF_BUILD", "GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL")


class Receiver:
    """A loopback HTTP server that records every request and answers `status` with `body`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 204
        self.body = b""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": json.loads(self.rfile.read(length) or b"null"),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture(autouse=True)
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*CI_VARIABLES, "AMLOPS_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)


def _events(state_dir: Path) -> None:
    log = EventLog(state_dir / "events.jsonl")
    log.append({"type": "model-registered", "model": "taxi", "version": "1", "backend": "local"})
    log.append({"type": "data-drift-detected", "share": 0.5})
    log.append({"type": "model-registered", "model": "taxi", "version": "2", "backend": "local"})


def test_in_a_github_job_the_newest_event_is_a_repository_dispatch(
    cli, state_dir: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _events(state_dir)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "team/taxi-fares")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_job_token")
    monkeypatch.setenv("GITHUB_API_URL", receiver.url)
    result = cli("announce", "--event", "model-registered")
    assert result.code == 0, result.stderr
    [request] = receiver.requests
    assert request["path"] == "/repos/team/taxi-fares/dispatches"
    assert request["headers"]["authorization"] == "Bearer ghs_job_token"
    assert request["headers"]["accept"] == "application/vnd.github+json"
    assert request["body"]["event_type"] == "model-registered"
    payload = request["body"]["client_payload"]
    assert (payload["model"], payload["version"], payload["backend"]) == ("taxi", "2", "local")
    assert result.result == {
        "event": "model-registered",
        "to": "github",
        "url": f"{receiver.url}/repos/team/taxi-fares/dispatches",
        "model": "taxi",
        "version": "2",
        "status": 204,
    }


def test_in_an_azure_devops_job_the_record_is_posted_to_the_webhook(
    cli, state_dir: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _events(state_dir)
    monkeypatch.setenv("TF_BUILD", "True")
    receiver.status, receiver.body = 200, b""
    hook = f"{receiver.url}/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview"
    result = cli("announce", "--event", "model-registered", "--webhook-url", hook)
    assert result.code == 0, result.stderr
    [request] = receiver.requests
    assert request["path"] == "/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview"
    # deploy-model's webhook filter (type == model-registered) and version expression read these keys
    assert (request["body"]["type"], request["body"]["version"]) == ("model-registered", "2")
    assert "authorization" not in request["headers"]
    assert (result.result["to"], result.result["status"]) == ("azure-devops", 200)


def test_a_refusing_receiver_fails_the_step_with_its_status_and_message(
    cli, state_dir: Path, receiver: Receiver
) -> None:
    _events(state_dir)
    receiver.status, receiver.body = 404, b'{"message": "Not Found"}'
    result = cli(
        "announce", "--event", "model-registered", "--to", "azure-devops", "--webhook-url", receiver.url
    )
    assert result.code == 1
    assert "answered 404" in result.stderr
    assert "Not Found" in result.stderr
    assert len(receiver.requests) == 1  # no retry behind the caller's back


@pytest.mark.parametrize(
    "case",
    [
        ((), {}, "not in a GitHub or Azure DevOps job"),
        (("--to", "github"), {"GITHUB_REPOSITORY": "o/r"}, "needs GITHUB_TOKEN"),
        (("--to", "azure-devops"), {}, "needs --webhook-url"),
        (("--to", "azure-devops", "--webhook-url", "http://example.com/hook"), {}, "must be https://"),
    ],
)
def test_without_a_target_or_its_credentials_nothing_is_sent(
    cli, state_dir: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, case: tuple
) -> None:
    argv, env, message = case
    _events(state_dir)
    monkeypatch.setenv("GITHUB_API_URL", receiver.url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli("announce", "--event", "model-registered", *argv)
    assert result.code == 2
    assert message in result.stderr
    assert receiver.requests == []


def test_without_an_event_it_says_so(cli, receiver: Receiver) -> None:
    result = cli(
        "announce", "--event", "model-registered", "--to", "azure-devops", "--webhook-url", receiver.url
    )
    assert result.code == 2
    assert "holds no model-registered event" in result.stderr
    assert receiver.requests == []


def test_github_refuses_a_payload_of_more_than_ten_keys() -> None:
    record = {"type": "model-registered", **{f"k{i}": i for i in range(GITHUB_PAYLOAD_KEYS)}}
    environ = {"GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": "t"}
    with pytest.raises(Exception, match="at most 10"):
        announce(record, event="model-registered", to="github", webhook_url=None, environ=environ)
    ten = dict(list(record.items())[:GITHUB_PAYLOAD_KEYS])
    delivery = announce(ten, event="model-registered", to="github", webhook_url=None, environ=environ)
    assert delivery.url == "https://api.github.com/repos/o/r/dispatches"


def test_a_named_version_is_announced_without_reading_the_registry(
    cli, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job of its own (the only one holding the token's write right) announces what the training job
    registered: no event log is there."""
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("GITHUB_API_URL", receiver.url)
    argv = (
        "announce",
        "--event",
        "model-registered",
        "--to",
        "github",
        "--model-name",
        "taxi",
        "--version",
        "4",
    )
    assert cli(*argv).code == 0
    payload = receiver.requests[0]["body"]["client_payload"]
    assert payload == {"type": "model-registered", "model": "taxi", "version": "4", "backend": "local"}
    assert cli("announce", "--event", "model-registered", "--to", "github", "--version", "4").code == 2
    # the announce job has no Azure sign-in: an azure version is announced without a workspace connection
    for name in ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert cli("--backend", "azure", *argv).code == 0
    assert receiver.requests[1]["body"]["client_payload"]["backend"] == "azure"


def test_an_empty_webhook_setting_announces_nothing_and_says_so(cli, receiver: Receiver) -> None:
    """An Azure DevOps project without the model-registry webhook: the step passes, with a warning."""
    result = cli("announce", "--event", "model-registered", "--to", "azure-devops", "--webhook-url", "")
    assert result.code == 0
    assert "no incoming webhook is configured" in result.stderr
    assert result.result == {"event": "model-registered", "to": "azure-devops", "url": None, "status": None}
    assert receiver.requests == []
