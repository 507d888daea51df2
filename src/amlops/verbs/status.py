"""Show the state of the backend: data assets, latest pipeline runs, model versions with aliases, endpoints.

Tables go to stderr; prints the same as one JSON document on stdout.
"""

from __future__ import annotations

import argparse
from typing import Any

from amlops.backends.base import STOPPED, Backend, Endpoint
from amlops.output import emit_result, say
from amlops.progress import show, table
from amlops.validation import STATUS_TAG, record
from amlops.verbs._common import backend_for


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=10, help="how many recent runs to list (default 10)")


def down_deployments(endpoints: list[Endpoint]) -> list[str]:
    """One line per online deployment that takes traffic but whose server is not running, with the fix."""
    return [
        f"{e.name}/{d.name} takes {e.traffic.get(d.name, 0)} % of the traffic but its server is not running; "
        f"fix: amlops deploy-online --endpoint {e.name} --model-name {d.model_name} "
        f"--version {d.model_version}"
        for e in endpoints
        if e.kind == "online"
        for d in e.deployments
        if d.state == STOPPED and e.traffic.get(d.name, 0) > 0
    ]


def status(backend: Backend, *, runs: int = 10) -> dict[str, Any]:
    data = backend.list_data()
    recent = backend.list_runs(runs)
    models = backend.list_model_versions()
    endpoints = backend.list_endpoints()
    show(
        table(
            "Data assets",
            ["name", "version", "hash", "validation", "path"],
            [(a.name, a.version, a.hash[:19], a.tags.get(STATUS_TAG, "none"), a.uri) for a in data],
        )
    )
    show(
        table(
            "Pipeline runs",
            ["run id", "status", "failed step", "data", "seconds"],
            [
                (
                    r.run_id,
                    r.status,
                    r.failed_step or "",
                    f"{r.tags.get('data_asset', '')}:{r.tags.get('data_version', '')}".strip(":"),
                    r.duration_s,
                )
                for r in recent
            ],
        )
    )
    show(
        table(
            "Model versions",
            ["name", "version", "aliases", "pipeline run", "metrics"],
            [
                (
                    m.name,
                    m.version,
                    ", ".join(m.aliases),
                    m.pipeline_run_id or "",
                    ", ".join(f"{k}={v:.4g}" for k, v in sorted(m.metrics().items())),
                )
                for m in models
            ],
        )
    )
    show(
        table(
            "Endpoints",
            ["endpoint", "kind", "deployment", "model", "state", "traffic", "scoring uri"],
            [
                (
                    e.name,
                    e.kind,
                    d.name,
                    f"{d.model_name}:{d.model_version}",
                    d.state,
                    f"{e.traffic.get(d.name, 0)} %",
                    d.scoring_uri,
                )
                for e in endpoints
                for d in e.deployments
            ],
        )
    )
    problems = down_deployments(endpoints)
    for line in problems:
        say(f"[red]{line}[/]")
    return {
        "backend": backend.name,
        "problems": problems,
        "data_assets": [
            {"name": a.name, "version": a.version, "hash": a.hash, "validation": record(a.tags)} for a in data
        ],
        "runs": [{"run_id": r.run_id, "status": r.status, "failed_step": r.failed_step} for r in recent],
        "models": [{"name": m.name, "version": m.version, "aliases": list(m.aliases)} for m in models],
        "endpoints": [
            {
                "name": e.name,
                "kind": e.kind,
                "traffic": dict(e.traffic),
                "scoring_uri": e.scoring_uri,
                "deployments": {
                    d.name: {"model": f"{d.model_name}:{d.model_version}", "state": d.state}
                    for d in e.deployments
                },
            }
            for e in endpoints
        ],
    }


def execute(args: argparse.Namespace) -> int:
    emit_result(status(backend_for(args), runs=args.runs))
    return 0
