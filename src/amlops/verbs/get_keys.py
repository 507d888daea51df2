"""Print the keys of an online endpoint with `auth_mode: key` (like `az ml online-endpoint get-credentials`).

Send one as `Authorization: Bearer <key>`; `amlops invoke` does so itself. Prints
{"endpoint", "auth_mode", "primaryKey", "secondaryKey"} (keys null when the endpoint has none).
"""

from __future__ import annotations

import argparse
from typing import Any

from amlops.backends.base import Backend
from amlops.errors import UsageError
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="online endpoint name")


def get_keys(backend: Backend, *, endpoint: str) -> dict[str, Any]:
    read = getattr(backend, "endpoint_keys", None)
    if read is None:
        raise UsageError(
            f"get-keys is not available on the {backend.name} backend; "
            f"use `az ml online-endpoint get-credentials --name {endpoint}`"
        )
    keys = read(endpoint)
    if not keys.get("primaryKey"):
        say(f"endpoint {endpoint} has no keys (auth_mode: {keys.get('auth_mode')}): it needs none")
    return {"endpoint": endpoint, **keys}


def execute(args: argparse.Namespace) -> int:
    emit_result(get_keys(backend_for(args), endpoint=args.endpoint))
    return 0
