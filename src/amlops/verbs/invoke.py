"""Send a scoring request to an online endpoint (routed by traffic weight, or to --deployment).

Exits 1 unless the response is HTTP 200. Prints {"status_code", "deployment", "response"}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend
from amlops.errors import FailedError, UsageError
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for, optional_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="online endpoint name")
    parser.add_argument("--request", required=True, type=Path, help="JSON request body file")
    parser.add_argument(
        "--deployment",
        type=optional_text,
        default=None,
        help="send to this deployment (Azure's azureml-model-deployment header; empty: by traffic)",
    )


def invoke(
    backend: Backend, *, endpoint: str, request: Path, deployment: str | None = None
) -> dict[str, Any]:
    try:
        body = Path(request).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read request {request}: {exc}") from None
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
