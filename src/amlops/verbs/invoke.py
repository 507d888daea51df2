"""Send a scoring request to an online endpoint (routed by traffic weight, or to --deployment).

The request is --request FILE, else the served model's own smoke request (`smoke-request.json` in the bundle
of the model version the addressed deployment serves, or the live one). Exits 1 unless the response is
HTTP 200. Prints {"status_code", "deployment", "response", "elapsed_ms", "request"}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend, ModelVersion
from amlops.errors import FailedError, UsageError
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for, optional_path, optional_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="online endpoint name")
    parser.add_argument(
        "--request",
        type=optional_path,
        default=None,
        help="JSON request body file (default/empty: the served model's own smoke-request.json)",
    )
    parser.add_argument(
        "--deployment",
        type=optional_text,
        default=None,
        help="send to this deployment (Azure's azureml-model-deployment header; empty: by traffic)",
    )


def served_model(backend: Backend, endpoint: str, deployment: str | None) -> ModelVersion:
    """The model version `deployment` serves, or the endpoint's live one (UsageError when there is none).

    Name and version only, from the endpoint's own record: the smoke request comes from that version's
    bundle, so the registry is not asked (on the local backend that would import MLflow, seconds per call).
    """
    found = backend.get_endpoint(endpoint)
    if found is None:
        raise UsageError(f"no online endpoint {endpoint!r}")
    serving = found.deployment(deployment) if deployment else found.live
    if serving is None:
        which = f"deployment {deployment!r}" if deployment else "a deployment taking traffic"
        raise UsageError(f"endpoint {endpoint!r} has no {which}; pass --request FILE")
    return ModelVersion(name=serving.model_name, version=serving.model_version)


def invoke(
    backend: Backend, *, endpoint: str, request: Path | None = None, deployment: str | None = None
) -> dict[str, Any]:
    if request is None:
        from amlops.verbs.deploy_online import model_smoke_request

        smoke = model_smoke_request(backend, served_model(backend, endpoint, deployment))
        body, sent = smoke.body, smoke.name
    else:
        try:
            body = Path(request).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read request {request}: {exc}") from None
        sent = str(request)
    response = backend.invoke(endpoint, body, deployment=deployment)
    try:
        parsed: Any = response.json()
    except ValueError:
        parsed = response.body
    result = {
        "status_code": response.status_code,
        "deployment": response.deployment,
        "response": parsed,
        "elapsed_ms": response.elapsed_ms,
        "request": sent,
    }
    if response.status_code != 200:
        raise FailedError(
            f"{endpoint}/{response.deployment} answered HTTP {response.status_code}: {response.body[:300]}",
            result=result,
        )
    say(f"{endpoint}/{response.deployment}: {json.dumps(parsed)[:300]}")
    return result


def execute(args: argparse.Namespace) -> int:
    emit_result(
        invoke(backend_for(args), endpoint=args.endpoint, request=args.request, deployment=args.deployment)
    )
    return 0
