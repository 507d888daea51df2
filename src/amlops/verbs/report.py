"""Write a training run's report: one self-contained HTML page, logged with the run, summarised for CI.

Gathers the run's facts from the backend: its steps with status and duration, the bound data version's
validate-data record, the gate's decision.json (every check; the champion it compared with), the bundle's
metrics.json (ONNX parity) and evaluation.json (predicted against actual, or the confusion matrix),
per-feature drift of the run's data against the champion's training data (the project's drift component,
no event), the lineage tags and the model version registered from the run.
Writes `report.html` and `summary.md` into --output-dir (default <state>/reports/<run id>), logs
report.html with the run (`report/report.html`: an MLflow artifact of the run locally, a file of the job's
"Outputs + logs" on Azure ML), and in a pipeline step puts summary.md on the run page (GitHub job summary,
Azure DevOps build summary). A rejected or failed run gets a report too.
Prints {"run_id", "report", "summary", "artifact", "ci_summary", "passed", "registered_version", "drift"}.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend, PipelineRun
from amlops.ci_outputs import write_summary
from amlops.config import Settings
from amlops.errors import AmlopsError, NotFoundError
from amlops.output import emit_result, pending_ci_outputs, say
from amlops.report import RunFacts, render_html, render_markdown
from amlops.report.facts import (
    Drift,
    Evaluation,
    Gate,
    Parity,
    Stage,
    Validation,
    lineage_items,
    metric_rows,
)
from amlops.validation import record
from amlops.verbs._common import backend_for, boolean, optional_path, optional_text
from amlops.verbs.gate import BUNDLE_OUTPUT, DECISION_FILE, champion_metrics

REPORT_FILE = "report.html"
SUMMARY_FILE = "summary.md"
ARTIFACT_PATH = "report"
EVALUATION_FILE = "evaluation.json"
LINEAGE_TAGS = ("git_sha", "data_asset", "data_version", "data_hash", "data_assets", "seed")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run-id", required=True, help="pipeline run id (from run-pipeline)")
    parser.add_argument("--model-name", required=True, help="registered model whose champion is the baseline")
    parser.add_argument(
        "--output-dir",
        type=optional_path,
        default=None,
        help="folder for report.html and summary.md (default/empty: <state>/reports/<run id>)",
    )
    parser.add_argument(
        "--drift",
        nargs="?",
        const=True,
        default=True,
        type=boolean,
        metavar="BOOL",
        help="compare the run's data with the champion's training data per feature (default true;"
        " `--drift false` or --no-drift turns it off)",
    )
    parser.add_argument("--no-drift", dest="drift", action="store_false")
    parser.add_argument(
        "--artifact-name",
        type=optional_text,
        default=None,
        help="the pipeline artifact the step uploads the folder as (named in the CI summary)",
    )


def _json(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _file_json(path: Path) -> dict[str, Any] | None:
    try:
        return _json(path.read_text(encoding="utf-8"))
    except OSError:
        return None


def _bundle(run: PipelineRun) -> Path | None:
    bundle = run.outputs.get(BUNDLE_OUTPUT)
    return Path(bundle) if bundle is not None and Path(bundle).is_dir() else None


def _validation(backend: Backend, tags: Mapping[str, str]) -> Validation | None:
    name, version = tags.get("data_asset"), tags.get("data_version")
    if not name or not version:
        return None
    try:
        asset = backend.get_data(name, version)
    except AmlopsError:
        return Validation("not recorded", f"{name}:{version}")
    found = record(asset.tags)
    if found is None:
        return Validation("not validated", f"{name}:{version}")
    return Validation(found["status"], f"{name}:{version}", found["contract"], found["at"])


def _champion(
    backend: Backend, model_name: str, decision: Mapping[str, Any] | None
) -> tuple[str | None, dict[str, float] | None]:
    """The champion the gate compared with (its decision), else the current one."""
    if decision is not None:
        champion = decision.get("champion")
        if not isinstance(champion, Mapping):
            return None, None
        return str(champion.get("version")), dict(champion.get("metrics") or {})
    version, metrics = champion_metrics(backend, model_name)
    return version, None if metrics is None else dict(metrics.values)


def _drift(
    backend: Backend, settings: Settings, model_name: str, champion: str | None, tags: Mapping[str, str]
) -> tuple[Drift | None, str]:
    """Drift of the run's data against the champion's training data, or why there is none."""
    from amlops.verbs.check_drift import drift_report

    current = (tags.get("data_asset"), tags.get("data_version"))
    if not all(current):
        return None, "The run names no data version: drift not computed."
    if champion is None:
        return None, "No champion yet: no reference data to compare with."
    try:
        version = backend.get_model_version(model_name, version=champion)
    except NotFoundError:
        return None, f"Champion version {champion} is gone: drift not computed."
    reference = (version.tags.get("data_asset"), version.tags.get("data_version"))
    if not all(reference):
        return None, f"Champion version {champion} names no training data: drift not computed."
    if reference == current:
        return None, f"The champion (version {champion}) was trained on the same data version."
    try:
        ref_asset = backend.get_data(*reference)  # type: ignore[arg-type]
        cur_asset = backend.get_data(*current)  # type: ignore[arg-type]
        document, _ = drift_report(
            backend, settings, reference=ref_asset, current=cur_asset, label="report: drift"
        )
    except AmlopsError as exc:
        return None, f"Drift not computed: {exc.message}"
    return Drift.from_mapping(document, reference=ref_asset.reference, current=cur_asset.reference), ""


def gather(
    backend: Backend, settings: Settings, *, run_id: str, model_name: str, drift: bool = True
) -> RunFacts:
    """Every fact of the run the report shows (missing ones stay None)."""
    run = backend.get_run(run_id)
    tags = dict(run.tags)
    decision = _json(backend.read_run_file(run_id, DECISION_FILE))
    bundle = _bundle(run)
    metrics_doc = _file_json(bundle / "metrics.json") if bundle else None
    evaluation_doc = _file_json(bundle / EVALUATION_FILE) if bundle else None
    champion_version, champion = _champion(backend, model_name, decision)
    gate = Gate.from_decision(decision) if decision is not None else None
    tolerance = next((c.threshold for c in gate.checks if c.check == "onnx_parity"), None) if gate else None
    parity = None
    if metrics_doc is not None and metrics_doc.get("onnx_max_abs_diff") is not None:
        parity = Parity(float(metrics_doc["onnx_max_abs_diff"]), tolerance)
    drift_facts, drift_note = (
        _drift(backend, settings, model_name, champion_version, tags)
        if drift
        else (None, "Drift was not asked for (--no-drift).")
    )
    registered = backend.find_model_version(model_name, pipeline_run_id=run_id)
    lineage = [*lineage_items(tags, LINEAGE_TAGS)]
    if run.mlflow_run_id:
        lineage.append(("mlflow run id", run.mlflow_run_id))
    if run.job_file:
        lineage.append(("job file", run.job_file))
    if tags.get("amlops.allow_unvalidated") == "true":
        lineage.append(("amlops.allow_unvalidated", "true"))
    return RunFacts(
        run_id=run_id,
        status=run.status,
        model_name=model_name,
        task=str((metrics_doc or {}).get("task") or (decision or {}).get("task") or ""),
        started_at=run.started_at,
        duration_s=run.duration_s,
        stages=tuple(Stage(n, s, run.step_durations.get(n)) for n, s in run.steps.items()),
        validation=_validation(backend, tags),
        gate=gate,
        champion_version=champion_version,
        metrics=metric_rows(dict((metrics_doc or {}).get("metrics") or {}), champion),
        evaluation=Evaluation.from_mapping(evaluation_doc) if evaluation_doc else None,
        parity=parity,
        drift=drift_facts,
        drift_note=drift_note,
        lineage=tuple(lineage),
        registered_version=registered.version if registered else None,
        backend=backend.name,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        notes=() if run.error is None else (f"error: {run.error}",),
    )


def report(
    backend: Backend,
    settings: Settings,
    *,
    run_id: str,
    model_name: str,
    output_dir: Path | str | None = None,
    drift: bool = True,
    artifact_name: str | None = None,
) -> dict[str, Any]:
    facts = gather(backend, settings, run_id=run_id, model_name=model_name, drift=drift)
    folder = Path(output_dir) if output_dir else settings.state_dir / "reports" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    html_file = folder / REPORT_FILE
    html_file.write_text(render_html(facts), encoding="utf-8")
    summary_file = folder / SUMMARY_FILE
    ci = pending_ci_outputs()
    link = ci.artifacts_url if ci is not None else None
    summary_file.write_text(
        render_markdown(facts, report_name=REPORT_FILE, artifact=artifact_name or "", artifact_url=link),
        encoding="utf-8",
    )
    artifact = backend.log_run_artifact(run_id, html_file, artifact_path=ARTIFACT_PATH)
    ci_summary = write_summary(ci, summary_file, sys.stdout)
    say(f"[green]run report[/] {html_file}" + (f" (logged as {artifact})" if artifact else ""))
    return {
        "run_id": run_id,
        "report": str(html_file.resolve()),
        "summary": str(summary_file.resolve()),
        "artifact": artifact,
        "ci_summary": ci_summary,
        "passed": None if facts.gate is None else facts.gate.passed,
        "registered_version": facts.registered_version,
        "drift": None if facts.drift is None else facts.drift.drifted,
    }


def execute(args: argparse.Namespace) -> int:
    emit_result(
        report(
            backend_for(args),
            args.settings,
            run_id=args.run_id,
            model_name=args.model_name,
            output_dir=args.output_dir,
            drift=args.drift,
            artifact_name=args.artifact_name,
        )
    )
    return 0
