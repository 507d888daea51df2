"""Register a pipeline run's model bundle as a model version, only if its gate decision passed.

Refuses (exit 3, nothing registered) without a passed decision.json for that run and model name, or when
the bundle changed since it was gated. Tags carry lineage (git SHA, data asset name/version/hash, pipeline
run id, seed, metrics as metric.<name>) and the gated digest (`bundle_digest`); the version gets alias
`challenger` and a `model-registered` event. Idempotent: the same run id again returns the existing version
with created=false.
Prints {"name", "version", "created", "aliases"}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from amlops.backends.base import CHALLENGER, Backend
from amlops.errors import RefusedError
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for, bundle_digest, read_json_file
from amlops.verbs.gate import DECISION_FILE, run_bundle

DIGEST_TAG = "bundle_digest"  # the gated bundle's digest, on the version (promote-model checks copies)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-id", required=True, help="pipeline run id whose gate decision passed")
    parser.add_argument("--model-name", required=True, help="registered model name")


def _passed_decision(backend: Backend, run_id: str, model_name: str, bundle: Path) -> dict[str, Any]:
    text = backend.read_run_file(run_id, DECISION_FILE)
    if text is None:
        raise RefusedError(f"run {run_id} has no gate decision; run `amlops gate --run-id {run_id}` first")
    try:
        decision = json.loads(text)
    except ValueError:
        raise RefusedError(f"run {run_id}'s gate decision is unreadable; gate it again") from None
    if decision.get("passed") is not True:
        raise RefusedError(
            f"gate rejected run {run_id}: {decision.get('summary', 'no summary')}",
            result={"run_id": run_id, "passed": False},
        )
    if decision.get("model_name") != model_name:
        raise RefusedError(
            f"run {run_id} was gated against model {decision.get('model_name')!r}, not {model_name!r}"
        )
    if decision.get("bundle_digest") != bundle_digest(bundle):
        raise RefusedError(f"run {run_id}'s model bundle changed after it was gated; gate it again")
    return decision


def lineage_tags(run_tags: dict[str, str], metrics_doc: dict[str, Any], run_id: str) -> dict[str, str]:
    tags = {k: str(v) for k, v in run_tags.items()}
    tags["pipeline_run_id"] = run_id
    tags["task"] = str(metrics_doc.get("task", ""))
    if "seed" in metrics_doc and "seed" not in tags:
        tags["seed"] = str(metrics_doc["seed"])
    for name, value in (metrics_doc.get("metrics") or {}).items():
        tags[f"metric.{name}"] = repr(float(value))
    if metrics_doc.get("onnx_max_abs_diff") is not None:
        tags["onnx_max_abs_diff"] = repr(float(metrics_doc["onnx_max_abs_diff"]))
    return tags


def register_model(backend: Backend, *, run_id: str, model_name: str) -> dict[str, Any]:
    run = backend.get_run(run_id)
    if not run.succeeded:
        raise RefusedError(f"pipeline run {run_id} did not complete ({run.status}); nothing to register")
    bundle = run_bundle(run)
    decision = _passed_decision(backend, run_id, model_name, bundle)
    existing = backend.find_model_version(model_name, pipeline_run_id=run_id)
    if existing is not None:
        say(f"run {run_id} is already registered as {model_name} version {existing.version}")
        return {
            "name": existing.name,
            "version": existing.version,
            "created": False,
            "aliases": list(existing.aliases),
        }
    metrics_doc = read_json_file(bundle / "metrics.json", "candidate metrics")
    tags = lineage_tags(dict(run.tags), metrics_doc, run_id)
    tags[DIGEST_TAG] = str(decision["bundle_digest"])  # what promote-model checks a copy against
    mv = backend.register_model_version(model_name, bundle_dir=bundle, pipeline_run_id=run_id, tags=tags)
    if mv.created:
        backend.set_alias(model_name, CHALLENGER, mv.version)
        backend.append_event(
            {
                "type": "model-registered",
                "model": model_name,
                "version": mv.version,
                "alias": CHALLENGER,
                "pipeline_run_id": run_id,
                # where the version lives: the deploy pipeline the event starts deploys on the same backend
                "backend": backend.name,
            }
        )
        say(f"[green]registered {model_name} version {mv.version}[/] (alias {CHALLENGER})")
    current = backend.get_model_version(model_name, version=mv.version)
    return {"name": mv.name, "version": mv.version, "created": mv.created, "aliases": list(current.aliases)}


def execute(args: argparse.Namespace) -> int:
    emit_result(register_model(backend_for(args), run_id=args.run_id, model_name=args.model_name))
    return 0
