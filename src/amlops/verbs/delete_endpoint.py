"""Stop and delete an online endpoint's deployments (--endpoint NAME), or every online endpoint (--all).

Served models keep running after `amlops deploy-online` and `amlops demo` end; this stops them.
Prints {"deleted": [names]}.
"""

from __future__ import annotations

import argparse
from typing import Any

from amlops.backends.base import Backend
from amlops.errors import NotFoundError
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for


def configure(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--endpoint", help="online endpoint name")
    group.add_argument("--all", action="store_true", help="every online endpoint")


def delete_endpoints(
    backend: Backend, *, endpoint: str | None = None, all_endpoints: bool = False
) -> dict[str, Any]:
    if all_endpoints:
        names = [e.name for e in backend.list_endpoints() if e.kind == "online"]
    else:
        if backend.get_endpoint(endpoint or "") is None:
            raise NotFoundError(f"no online endpoint named {endpoint!r}")
        names = [endpoint or ""]
    for name in names:
        backend.delete_endpoint(name)
        say(f"deleted endpoint {name}")
    return {"deleted": names}


def execute(args: argparse.Namespace) -> int:
    emit_result(delete_endpoints(backend_for(args), endpoint=args.endpoint, all_endpoints=args.all))
    return 0
