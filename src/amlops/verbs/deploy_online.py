"""Deploy a model version to an online endpoint, blue/green: new deployment at 0 %, smoke test, then promote.

Starts the project's scoring script (pipelines/azureml/online-deployment.yml) with the version's bundle as
a new deployment beside the live one, sends the smoke request (--smoke-request FILE, else the model's own:
`smoke-request.json` in its bundle, test rows the evaluate step wrote from the contract and the registered
data) and asserts HTTP 200 and one finite prediction per row; then shifts 100 % of traffic to it and moves the
`champion` alias. The previous deployment keeps running at 0 % for `amlops rollback`. If the smoke test
fails, the new deployment is removed, traffic and champion stay as they were, and the exit code is 1.
Prints {"endpoint", "deployment", "model", "version", "scoring_uri", "created"}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amlops.backends.base import CHAMPION, STOPPED, Backend, Endpoint, InvokeResponse, ModelVersion
from amlops.config import Settings
from amlops.errors import AmlopsError, FailedError, UsageError
from amlops.output import emit_result, say
from amlops.progress import StepProgress
from amlops.verbs._common import (
    add_model_reference,
    backend_for,
    endpoint_lock,
    optional_path,
    project_relative,
    read_json_file,
    resolve_model,
)

COLOURS = ("blue", "green")
MODEL_SMOKE_REQUEST = "smoke-request.json"  # in every bundle the evaluate component writes
HISTORY_KEPT = 5  # promotions remembered for rollback (Azure keeps them in one endpoint tag)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="online endpoint name")
    add_model_reference(parser)
    parser.add_argument(
        "--deployment", default=None, help="deployment name (default: blue/green alternating)"
    )
    parser.add_argument(
        "--smoke-request",
        type=optional_path,
        default=None,
        help=f"JSON request for the smoke test (default/empty: the model's own {MODEL_SMOKE_REQUEST})",
    )
    parser.add_argument(
        "--deployment-spec",
        type=Path,
        default=None,
        help="online deployment spec (default pipelines/azureml/online-deployment.yml)",
    )


def request_rows(payload: Any) -> int | None:
    """Rows in a scoring request: a list of records, or the list under `data` / `input_data`
    (records, or Azure ML's split form {"columns", "data"}), or a dict of equally long columns."""
    if isinstance(payload, list):
        return len(payload)
    if isinstance(payload, dict):
        for key in ("input_data", "data", "inputs", "instances"):
            if key in payload:
                return request_rows(payload[key])
        columns = [v for v in payload.values() if isinstance(v, list)]
        if columns and len({len(c) for c in columns}) == 1:
            return len(columns[0])
    return None


def smoke_check(response: InvokeResponse, expected_rows: int | None) -> list[str]:
    """Problems with a smoke-test response (empty when it passes)."""
    if response.status_code != 200:
        return [f"HTTP {response.status_code}: {response.body[:500]}"]
    try:
        body = response.json()
    except ValueError:
        return [f"response is not JSON: {response.body[:200]!r}"]
    if isinstance(body, str):  # some scoring scripts return JSON-encoded strings
        try:
            body = json.loads(body)
        except ValueError:
            return [f"response is a string, not a JSON document: {body[:200]!r}"]
    predictions = body.get("predictions") if isinstance(body, dict) else None
    if not isinstance(predictions, list):
        return [f"response has no 'predictions' list: {str(body)[:200]}"]
    problems = []
    if expected_rows is not None and len(predictions) != expected_rows:
        problems.append(f"{len(predictions)} prediction(s) for {expected_rows} row(s)")
    for i, value in enumerate(predictions):
        number = value if not isinstance(value, dict) else value.get("prediction", value.get("value"))
        if isinstance(number, str):  # class labels may be strings
            continue
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            problems.append(f"prediction {i} is not a finite number: {value!r}")
            break
    return problems


def smoke_request_origin(request: str, environment: str | None) -> str:
    """Where the smoke request comes from, for a failure message: the file and the settings that choose it."""
    config = f"pipelines/config/{environment or '<env>'}.yml"
    return (
        f"the smoke request {request} (chosen by `smokeRequest` in {config}, or the --smoke-request option; "
        "its rows must fit data-science/contract.yml)"
    )


def model_request_origin(model: str, version: str, environment: str | None) -> str:
    """Where the model's own smoke request comes from, and how to send another one instead."""
    config = f"pipelines/config/{environment or '<env>'}.yml"
    return (
        f"the model's own smoke request ({MODEL_SMOKE_REQUEST} in the bundle of {model}:{version}, test rows "
        f"the evaluate step wrote; to send a file instead, set `smokeRequest` in {config} or pass "
        "--smoke-request)"
    )


@dataclass(frozen=True)
class SmokeRequest:
    """The request a smoke test sends: its bytes, its row count, where it came from (for messages) and its
    name in the result (a project-relative file, or `<model>:<version>/smoke-request.json`)."""

    body: bytes
    rows: int | None
    origin: str
    name: str


def file_smoke_request(path: Path, root: Path) -> SmokeRequest:
    """A smoke request from a file (`smokeRequest` / --smoke-request); UsageError naming the setting."""
    path = path.resolve()
    name = project_relative(path, root)
    origin = smoke_request_origin(name, os.environ.get("AMLOPS_ENVIRONMENT"))
    if not path.is_file():
        raise UsageError(f"smoke request not found: {path}; {origin}")
    return SmokeRequest(path.read_bytes(), request_rows(read_json_file(path, "smoke request")), origin, name)


def model_smoke_request(backend: Backend, model: ModelVersion) -> SmokeRequest:
    """The model version's own smoke request, from its bundle (UsageError naming what to set otherwise)."""
    environment = os.environ.get("AMLOPS_ENVIRONMENT")
    path = backend.download_model(model.name, model.version) / MODEL_SMOKE_REQUEST
    if not path.is_file():
        raise UsageError(
            f"model {model.name}:{model.version} carries no {MODEL_SMOKE_REQUEST} (its evaluate step "
            f"wrote none); set `smokeRequest` in pipelines/config/{environment or '<env>'}.yml to a "
            "request file, or pass --smoke-request"
        )
    return SmokeRequest(
        path.read_bytes(),
        request_rows(read_json_file(path, "smoke request")),
        model_request_origin(model.name, model.version, environment),
        f"{model.name}:{model.version}/{MODEL_SMOKE_REQUEST}",
    )


def next_deployment_name(endpoint: Endpoint | None) -> str:
    if endpoint is None:
        return COLOURS[0]
    live = endpoint.live
    if live is None:
        return COLOURS[0]
    return COLOURS[1] if live.name == COLOURS[0] else COLOURS[0]


def deploy_online(
    backend: Backend,
    settings: Settings,
    *,
    endpoint: str,
    model_name: str,
    version: str | None = None,
    alias: str | None = None,
    deployment: str | None = None,
    smoke_request: Path | None = None,
    deployment_spec: Path | None = None,
) -> dict[str, Any]:
    """Deploy a model version to `endpoint`; one deploy or rollback per endpoint at a time."""
    with endpoint_lock(backend, endpoint):
        return _deploy_online(
            backend,
            settings,
            endpoint=endpoint,
            model_name=model_name,
            version=version,
            alias=alias,
            deployment=deployment,
            smoke_request=smoke_request,
            deployment_spec=deployment_spec,
        )


def _deploy_online(
    backend: Backend,
    settings: Settings,
    *,
    endpoint: str,
    model_name: str,
    version: str | None = None,
    alias: str | None = None,
    deployment: str | None = None,
    smoke_request: Path | None = None,
    deployment_spec: Path | None = None,
) -> dict[str, Any]:
    model = resolve_model(backend, model_name, version=version, alias=alias)
    smoke = (
        model_smoke_request(backend, model)
        if smoke_request is None
        else file_smoke_request(smoke_request, settings.project.root)
    )
    current = backend.get_endpoint(endpoint)
    live = current.live if current else None
    serving = live is not None and live.state != STOPPED  # a dead server is replaced, not reported as serving
    if serving and live.model_name == model.name and live.model_version == model.version:
        if _champion_version(backend, model.name) != model.version:
            # an earlier run moved traffic but not the alias (it failed between the two): finish the move
            backend.set_alias(model.name, CHAMPION, model.version)
        say(f"endpoint {endpoint} already serves {model.name}:{model.version} from deployment {live.name}")
        return _result(current, live.name, model.name, model.version, created=False)
    name = deployment or next_deployment_name(current)
    if live is not None and name == live.name:
        raise UsageError(f"deployment {name!r} is live on {endpoint!r}; choose another name")
    spec = (deployment_spec or settings.project.online_deployment).resolve()
    with StepProgress(f"deploy-online {endpoint}/{name} ({model.name}:{model.version})") as progress:
        progress.update("starting the inference server")
        backend.create_online_deployment(endpoint, name, model, deployment_spec=spec)
        progress.update("smoke test")
        try:
            response = backend.invoke(endpoint, smoke.body, deployment=name)
            problems = smoke_check(response, smoke.rows)
        except AmlopsError as exc:
            problems = [exc.message]
        if problems:
            backend.delete_deployment(endpoint, name)
            raise FailedError(
                f"smoke test of {endpoint}/{name} failed: {'; '.join(problems)}; deployment removed, "
                f"traffic and champion unchanged; sent {smoke.origin}",
                result={
                    "endpoint": endpoint,
                    "deployment": name,
                    "smoke_passed": False,
                    "problems": problems,
                    "smoke_request": smoke.name,
                },
            )
    previous_champion = _champion_version(backend, model.name)
    before = backend.get_endpoint(endpoint)
    record = {
        "traffic": dict(before.traffic) if before else {},
        "model_name": model.name,
        "champion_version": previous_champion,
        "promoted": name,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    history = (*(before.history if before else ())[-(HISTORY_KEPT - 1) :], record)
    traffic = {d.name: 0 for d in before.deployments} if before else {}
    traffic[name] = 100
    backend.set_traffic(endpoint, traffic, history=history)
    backend.set_alias(model.name, CHAMPION, model.version)
    backend.append_event(
        {
            "type": "model-promoted",
            "model": model.name,
            "version": model.version,
            "alias": CHAMPION,
            "endpoint": endpoint,
            "deployment": name,
        }
    )
    say(
        f"[green]{endpoint}/{name} serves {model.name}:{model.version} with 100 % traffic[/]"
        + (f" (previous: {live.name}, kept at 0 % for rollback)" if live else "")
    )
    result = _result(backend.get_endpoint(endpoint), name, model.name, model.version, created=True)
    return {**result, "smoke_request": smoke.name}


def _champion_version(backend: Backend, model_name: str) -> str | None:
    from amlops.errors import NotFoundError

    try:
        return backend.get_model_version(model_name, alias=CHAMPION).version
    except NotFoundError:
        return None


def _result(
    endpoint: Endpoint | None, deployment: str, model: str, version: str, *, created: bool
) -> dict[str, Any]:
    return {
        "endpoint": endpoint.name if endpoint else None,
        "deployment": deployment,
        "model": model,
        "version": version,
        "scoring_uri": endpoint.scoring_uri if endpoint else "",
        "traffic": dict(endpoint.traffic) if endpoint else {},
        "created": created,
        "smoke_passed": True if created else None,
    }


def execute(args: argparse.Namespace) -> int:
    emit_result(
        deploy_online(
            backend_for(args),
            args.settings,
            endpoint=args.endpoint,
            model_name=args.model_name,
            version=args.version,
            alias=args.alias,
            deployment=args.deployment,
            smoke_request=args.smoke_request,
            deployment_spec=args.deployment_spec,
        )
    )
    return 0
