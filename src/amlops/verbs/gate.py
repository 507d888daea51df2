"""Gate a pipeline run's candidate model: thresholds, the champion, ONNX parity (data-science/gate.yml).

Reads the run's model bundle metrics.json and the metrics of the version holding the `champion` alias,
decides with the pure `amlops.gating.decide`, writes decision.json into the run folder (register-model
obeys it) and prints it. A rejection exits 0 unless --fail-on-reject.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from amlops.backends.base import CHAMPION, Backend, PipelineRun
from amlops.config import Settings
from amlops.errors import ConfigError, FailedError, NotFoundError, UsageError
from amlops.gating import GateConfig, Metrics, decide, unreachable_thresholds
from amlops.output import emit_result, say
from amlops.verbs._common import (
    backend_for,
    boolean,
    bundle_digest,
    project_relative,
    read_json_file,
)

DECISION_FILE = "decision.json"
BUNDLE_OUTPUT = "model_bundle"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-id", required=True, help="pipeline run id (from run-pipeline)")
    parser.add_argument("--model-name", required=True, help="registered model whose champion is the baseline")
    parser.add_argument(
        "--config", type=Path, default=None, help="gate config (default data-science/gate.yml)"
    )
    parser.add_argument(
        "--fail-on-reject",
        nargs="?",
        const=True,
        default=False,
        type=boolean,
        metavar="BOOL",
        help="exit 1 when the candidate is rejected (`--fail-on-reject false` turns it off)",
    )
    parser.add_argument("--no-fail-on-reject", dest="fail_on_reject", action="store_false")


def load_gate_config(path: Path) -> GateConfig:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"gate config not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"gate config {path} is not valid YAML: {exc}") from None
    return GateConfig.from_mapping(document, source=str(path))


def rejection_message(run_id: str, summary: str, config_name: str, task: str, hints: list[str]) -> str:
    """The one-line rejection: what failed, the file (and section) to change, thresholds no model passes."""
    message = f"gate rejected run {run_id}: {summary}; the gate is set in {config_name} (tasks.{task})"
    return message + "".join(f"; {hint}" for hint in hints)


def candidate_bundle(backend: Backend, run_id: str) -> Path:
    return run_bundle(backend.get_run(run_id))


def run_bundle(run: PipelineRun) -> Path:
    """The model bundle folder of a completed run (UsageError otherwise)."""
    run_id = run.run_id
    if not run.succeeded:
        raise UsageError(f"pipeline run {run_id} did not complete ({run.status}); nothing to gate")
    bundle = run.outputs.get(BUNDLE_OUTPUT)
    if bundle is None or not Path(bundle).is_dir():
        raise UsageError(f"pipeline run {run_id} has no {BUNDLE_OUTPUT!r} output folder")
    return Path(bundle)


def champion_metrics(backend: Backend, model_name: str) -> tuple[str | None, Metrics | None]:
    try:
        champion = backend.get_model_version(model_name, alias=CHAMPION)
    except NotFoundError:
        return None, None
    bundle = backend.download_model(champion.name, champion.version)
    if (bundle / "metrics.json").is_file():
        return champion.version, Metrics.from_mapping(
            read_json_file(bundle / "metrics.json", "champion metrics")
        )
    return champion.version, Metrics(champion.tags.get("task", ""), champion.metrics())


def gate(
    backend: Backend,
    settings: Settings,
    *,
    run_id: str,
    model_name: str,
    config: Path | None = None,
    fail_on_reject: bool = False,
) -> dict[str, Any]:
    config_path = (config or settings.project.gate_config).resolve()
    gate_config = load_gate_config(config_path)
    bundle = candidate_bundle(backend, run_id)
    candidate = Metrics.from_mapping(read_json_file(bundle / "metrics.json", "candidate metrics"))
    champion_version, champion = champion_metrics(backend, model_name)
    decision = decide(candidate, champion, gate_config)
    config_name = project_relative(config_path, settings.project.root)
    hints = unreachable_thresholds(candidate, gate_config)
    document = {
        **decision.to_dict(),
        "run_id": run_id,
        "model_name": model_name,
        "candidate": {"metrics": dict(candidate.values), "onnx_max_abs_diff": candidate.onnx_max_abs_diff},
        "champion": None
        if champion is None
        else {"version": champion_version, "metrics": dict(champion.values)},
        "bundle_digest": bundle_digest(bundle),
        "config": config_name,
        "unreachable_thresholds": hints,
        "decided_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if not decision.passed:
        document["message"] = rejection_message(run_id, decision.summary, config_name, decision.task, hints)
    path = backend.write_run_file(run_id, DECISION_FILE, json.dumps(document, indent=2) + "\n")
    document["decision_file"] = str(path)
    if decision.passed:
        say(f"[green]gate passed[/] for run {run_id}: {decision.summary}")
        return document
    say(f"[red]{document['message']}[/]")
    if fail_on_reject:
        raise FailedError(document["message"], result=document)
    return document


def execute(args: argparse.Namespace) -> int:
    emit_result(
        gate(
            backend_for(args),
            args.settings,
            run_id=args.run_id,
            model_name=args.model_name,
            config=args.config,
            fail_on_reject=args.fail_on_reject,
        )
    )
    return 0
