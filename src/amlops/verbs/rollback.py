"""Roll an online endpoint back: traffic to the previous deployment, `champion` alias to its version.

Undoes the latest deploy-online promotion (the previous deployment serves again; locally it is restarted
if it stopped). Refuses (exit 3) when there is nothing to roll back to.
Prints {"endpoint", "deployment", "model", "version"}.
"""

from __future__ import annotations

import argparse
from typing import Any

from amlops.backends.base import CHAMPION, Backend
from amlops.errors import NotFoundError, RefusedError
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for, endpoint_lock


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="online endpoint name")


def rollback(backend: Backend, *, endpoint: str) -> dict[str, Any]:
    with endpoint_lock(backend, endpoint):
        return _rollback(backend, endpoint=endpoint)


def _rollback(backend: Backend, *, endpoint: str) -> dict[str, Any]:
    current = backend.get_endpoint(endpoint)
    if current is None:
        raise NotFoundError(f"no online endpoint named {endpoint!r}")
    history = list(current.history)
    if not history:
        raise RefusedError(f"endpoint {endpoint!r} has no earlier state to roll back to")
    previous = history[-1]
    traffic = {k: int(v) for k, v in previous.get("traffic", {}).items() if current.deployment(k) is not None}
    if sum(traffic.values()) != 100:
        raise RefusedError(
            f"endpoint {endpoint!r}: the deployment that took traffic before is gone; nothing to roll back to"
        )
    target = max(traffic, key=lambda k: traffic[k])
    full = {d.name: traffic.get(d.name, 0) for d in current.deployments}
    after = backend.set_traffic(endpoint, full, history=tuple(history[:-1]))
    deployment = after.deployment(target)
    model_name = previous.get("model_name") or (deployment.model_name if deployment else "")
    champion = previous.get("champion_version") or (deployment.model_version if deployment else None)
    if champion:
        backend.set_alias(model_name, CHAMPION, str(champion))
        backend.append_event(
            {
                "type": "model-rolled-back",
                "model": model_name,
                "version": str(champion),
                "alias": CHAMPION,
                "endpoint": endpoint,
                "deployment": target,
            }
        )
    say(f"[yellow]rolled {endpoint} back to {target}[/] ({model_name}:{champion}, traffic {full})")
    return {
        "endpoint": endpoint,
        "deployment": target,
        "model": model_name,
        "version": champion,
        "traffic": full,
        "scoring_uri": after.scoring_uri,
    }


def execute(args: argparse.Namespace) -> int:
    emit_result(rollback(backend_for(args), endpoint=args.endpoint))
    return 0
