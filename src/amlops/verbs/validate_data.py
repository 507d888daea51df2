"""Validate a registered data asset with the project's own validate component (the dataset contract's suite).

Runs data-science/components/validate.yml; amlops does not re-implement any check. Exits 1 when the data
is invalid, with the component's summary (columns, expectations, counts) on stderr. Either way the outcome is
recorded on the data asset version as tags (`amlops.validation` passed/failed, the contract's digest, the
time; see `amlops.validation`): `run-pipeline` trains only on a version that passed against its contract.
Prints {"name", "version", "success", "failures", "report", "validation"}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend
from amlops.config import Settings
from amlops.errors import FailedError, UsageError
from amlops.output import emit_result, say
from amlops.progress import StepProgress
from amlops.validation import contract_digest, record, validation_tags
from amlops.verbs._common import backend_for, optional_path, optional_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="data asset name")
    parser.add_argument(
        "--version", type=optional_text, default=None, help="data asset version (default/empty: latest)"
    )
    parser.add_argument(
        "--contract", type=Path, default=None, help="dataset contract (default: the project's)"
    )
    parser.add_argument(
        "--report-dir", type=optional_path, default=None, help="where the report goes (default: run folder)"
    )
    parser.add_argument(
        "--component", type=Path, default=None, help="validate component spec (default: project's)"
    )


def validate_data(
    backend: Backend,
    settings: Settings,
    *,
    name: str,
    version: str | None = None,
    contract: Path | None = None,
    report_dir: Path | None = None,
    component: Path | None = None,
) -> dict[str, Any]:
    asset = backend.get_data(name, version)
    component = component or settings.project.component("validate")
    contract = (contract or settings.project.contract).resolve()
    if not contract.is_file():
        raise UsageError(f"dataset contract not found: {contract}")
    digest = contract_digest(contract)
    with StepProgress(f"validate-data {asset.name}:{asset.version}") as progress:
        run = backend.run_component(
            component,
            inputs={"contract": contract, "data": asset.reference},
            outputs={"report": report_dir.resolve()} if report_dir else None,
            label=f"validate-{asset.name}-{asset.version}",
            on_event=progress.on_event,
        )
    report = Path(run.outputs["report"]) if "report" in run.outputs else None
    document: dict[str, Any] = {}
    if report is not None and (report / "result.json").is_file():
        document = json.loads((report / "result.json").read_text(encoding="utf-8"))
    failures = document.get("failures", [])
    success = run.succeeded and bool(document.get("success", run.succeeded))
    # Recorded on the version itself (whatever registered it), before anything else can go wrong.
    tagged = backend.tag_data(asset.name, asset.version, validation_tags(passed=success, contract=digest))
    result = {
        "name": asset.name,
        "version": asset.version,
        "success": success,
        "failures": failures,
        "report": str(report) if report else None,
        "log": str(run.log_path) if run.log_path else None,
        "validation": record(tagged.tags),
    }
    if result["success"]:
        say(f"[green]data asset {asset.name}:{asset.version} is valid[/]")
        return result
    for failure in failures:
        count = failure.get("unexpected_count")
        plain = f"{failure.get('column')}: {failure.get('expectation')} ({count} unexpected)"
        say(f"  [red]{failure.get('message') or plain}[/]")
    if not failures:
        say(run.log_tail)
    columns = sorted({str(f.get("column")) for f in failures})
    raise FailedError(
        f"data asset {asset.name}:{asset.version} is invalid"
        + (
            f": {len(failures)} failed expectation(s) on {', '.join(columns)}"
            if failures
            else f" (log {run.log_path})"
        ),
        result=result,
    )


def execute(args: argparse.Namespace) -> int:
    result = validate_data(
        backend_for(args),
        args.settings,
        name=args.name,
        version=args.version,
        contract=args.contract,
        report_dir=args.report_dir,
        component=args.component,
    )
    emit_result(result)
    return 0
