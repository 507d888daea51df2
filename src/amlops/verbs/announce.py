"""Announce the newest registry event to the CI system that acts on it: a GitHub `repository_dispatch`, or a
POST to an Azure DevOps incoming webhook.

`amlops announce --event model-registered` reads the newest record of that type from the backend's registry
events (register-model appends it) and sends it where the deploy pipeline listens:
- `--to github`: `POST {GITHUB_API_URL}/repos/{GITHUB_REPOSITORY}/dispatches` with
  `{"event_type": "model-registered", "client_payload": <record>}`, authorised by `GITHUB_TOKEN`. The job's
  own token suffices (permission `contents: write`); a dispatch made with it starts workflows, unlike most
  events that token causes. GitHub takes at most 10 top-level keys in `client_payload`.
- `--to azure-devops`: `POST <record>` to the incoming-webhook URL (`--webhook-url`, or `AMLOPS_WEBHOOK_URL`):
  `https://dev.azure.com/<org>/_apis/public/distributedtask/webhooks/<webhook name>?api-version=6.0-preview`,
  which starts the pipelines whose `resources.webhooks` entry names that connection.
With `--model-name` and `--version` the record is `{"type", "model", "version", "backend"}` of that version
instead (a job of its own announces what an earlier job registered: only it needs the token's write right).
`--webhook-url ''` (the environment settings' empty `modelRegisteredWebhookUrl`) means no webhook is
configured: nothing is sent, a warning says so, and the result has "status": null.
`--to` defaults to the CI the command runs in (`GITHUB_ACTIONS`, `TF_BUILD`). Prints {"event", "to", "url",
"model", "version", "status"}. Exit 2 without an event, a target or its credentials; 1 when the receiver
answers with an error (its status and message said); nothing is retried, so a replay is the caller's choice.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from amlops.ci_outputs import running_ci
from amlops.errors import FailedError, UsageError
from amlops.lifecycle.events import EXTERNAL_EVENTS, external_event
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for

TARGETS = ("github", "azure-devops")
GITHUB_API = "https://api.github.com"
GITHUB_PAYLOAD_KEYS = 10  # GitHub refuses a client_payload with more top-level properties
TIMEOUT_S = 30.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Delivery:
    """One HTTP request that announces an event (pure data: built by `github_dispatch`/`webhook_post`)."""

    url: str
    headers: Mapping[str, str]
    body: bytes


def github_dispatch(record: Mapping[str, Any], *, dispatch_type: str, environ: Mapping[str, str]) -> Delivery:
    """The repository_dispatch request for `record` from a GitHub job's environment."""
    repository = environ.get("GITHUB_REPOSITORY", "")
    token = environ.get("GITHUB_TOKEN", "")
    missing = [
        name for name, value in (("GITHUB_REPOSITORY", repository), ("GITHUB_TOKEN", token)) if not value
    ]
    if missing:
        raise UsageError(
            f"announce --to github needs {' and '.join(missing)} in the environment "
            "(in a workflow step: env: GITHUB_TOKEN: ${{ github.token }}; the runner sets GITHUB_REPOSITORY)"
        )
    if len(record) > GITHUB_PAYLOAD_KEYS:
        raise UsageError(
            f"the event record has {len(record)} top-level keys; GitHub's client_payload takes at most "
            f"{GITHUB_PAYLOAD_KEYS} ({', '.join(map(str, record))})"
        )
    api = (environ.get("GITHUB_API_URL") or GITHUB_API).rstrip("/")
    body = {"event_type": dispatch_type, "client_payload": dict(record)}
    return Delivery(
        url=f"{api}/repos/{repository}/dispatches",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        },
        body=json.dumps(body, sort_keys=True).encode("utf-8"),
    )


def webhook_post(record: Mapping[str, Any], *, url: str) -> Delivery:
    """The POST of `record` to an Azure DevOps incoming webhook."""
    parts = urllib.parse.urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK
    if not (parts.scheme == "https" and parts.hostname) and not loopback:
        raise UsageError(
            f"announce --to azure-devops: the webhook URL must be https://... (plain http only to this "
            f"machine), not {url!r}"
        )
    return Delivery(
        url=url,
        headers={"Content-Type": "application/json"},
        body=json.dumps(dict(record), sort_keys=True).encode("utf-8"),
    )


def target_from(environ: Mapping[str, str]) -> str | None:
    """The CI system the command runs in (`amlops.ci_outputs.running_ci`)."""
    return running_ci(environ)


def send(delivery: Delivery) -> int:
    """POST the delivery (proxy and CA settings from the environment, as every client here); its status."""
    import requests

    try:
        response = requests.post(
            delivery.url, data=delivery.body, headers=dict(delivery.headers), timeout=TIMEOUT_S
        )
    except requests.RequestException as exc:
        raise FailedError(f"announce: POST {delivery.url} failed: {exc}") from None
    if response.status_code >= 300:
        detail = response.text.strip().replace("\n", " ")[:300]
        raise FailedError(
            f"announce: POST {delivery.url} answered {response.status_code}: {detail or response.reason}",
            result={"url": delivery.url, "status": response.status_code},
        )
    return response.status_code


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--event", required=True, choices=sorted(EXTERNAL_EVENTS), help="registry event type to announce"
    )
    parser.add_argument("--to", choices=TARGETS, help="receiver (default: the CI this runs in)")
    parser.add_argument(
        "--webhook-url", help="Azure DevOps incoming-webhook URL (default: the AMLOPS_WEBHOOK_URL variable)"
    )
    parser.add_argument("--model-name", help="announce this model's --version instead of the newest event")
    parser.add_argument("--version", help="the version of --model-name to announce")


def record_of(records: list[Any], event: str) -> dict[str, Any]:
    """The newest `event` record among the registry's `records`."""
    found = [r for r in records if isinstance(r, dict) and r.get("type") == event]
    if not found:
        raise UsageError(f"announce: the registry holds no {event} event (register a model first)")
    return found[-1]


def announce(
    record: Mapping[str, Any],
    *,
    event: str,
    to: str | None,
    webhook_url: str | None,
    environ: Mapping[str, str],
) -> Delivery:
    """The delivery of `record` to the CI named by `to` or `environ` (pure: the caller sends it)."""
    target = to or target_from(environ)
    if target is None:
        raise UsageError(
            "announce: not in a GitHub or Azure DevOps job; say where with --to github|azure-devops"
        )
    external = external_event(event)
    assert external is not None  # --event's choices are the external events
    if target == "github":
        return github_dispatch(record, dispatch_type=external.dispatch_type, environ=environ)
    url = webhook_url or environ.get("AMLOPS_WEBHOOK_URL", "")
    if not url:
        raise UsageError("announce --to azure-devops needs --webhook-url (or AMLOPS_WEBHOOK_URL)")
    return webhook_post(record, url=url)


def execute(args: argparse.Namespace) -> int:
    target = args.to or target_from(os.environ)
    if target == "azure-devops" and args.webhook_url == "":
        say(
            "[yellow]warning: no incoming webhook is configured (modelRegisteredWebhookUrl of the "
            f"environment settings is empty): {args.event} is not announced; nothing starts deploy-model[/]"
        )
        emit_result({"event": args.event, "to": target, "url": None, "status": None})
        return 0
    if (args.model_name is None) != (args.version is None):
        raise UsageError("announce: --model-name and --version go together")
    if args.model_name is not None:  # nothing to read: no backend connection (nor Azure sign-in) needed
        record = {
            "type": args.event,
            "model": args.model_name,
            "version": args.version,
            "backend": args.settings.backend,
        }
    else:
        record = record_of(backend_for(args).read_events(), args.event)
    delivery = announce(
        record, event=args.event, to=args.to, webhook_url=args.webhook_url, environ=os.environ
    )
    status = send(delivery)
    say(f"[green]announced {args.event} {record.get('model')}:{record.get('version')} to {target}[/]")
    emit_result(
        {
            "event": args.event,
            "to": target,
            "url": delivery.url,
            "model": record.get("model"),
            "version": record.get("version"),
            "status": status,
        }
    )
    return 0
