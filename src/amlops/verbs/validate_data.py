"""Validate a registered data asset with the project's own validate component (the dataset contract's suite).

Runs data-science/components/validate.yml; amlops does not re-implement any check. Exits 1 when the data
is invalid, with the component's summary (columns, expectations, counts) on stderr. Either way the outcome is
recorded on the data asset version as tags (`amlops.validation` passed/failed, the contract's digest, the
time; see `amlops.validation`): `run-pipeline` trains only on a version that passed against its contract.
A passed validation is kept (`<state>/validations/`) by the data's content hash, the contract's digest and
the validator's (component, code, lock file): validating the same bytes against the same contract again,
under any name or version (PR CI registers the sample, train-model registers it again), reuses it instead
of running the component: the version is tagged as passed and the result names the earlier version
(`reused`) and its report. A failure is never reused; `--report-dir` always runs the component.
Prints {"name", "version", "success", "failures", "report", "validation"} (and "reused" when it was).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend
from amlops.config import Settings
from amlops.errors import FailedError, UsageError
from amlops.jsonfiles import write_json
from amlops.output import emit_result, say
from amlops.progress import StepProgress
from amlops.validation import contract_digest, record, reuse_key, validation_tags
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


PASSES_DIR = "validations"
"""Under the state folder: one record per passed validation, by `amlops.validation.reuse_key`."""


def validator_digest(settings: Settings, component: Path) -> str:
    """What the validator's outcome depends on besides data and contract: the component definition, its
    code folder's contents and the project's lock file (the libraries it runs with)."""
    from amlops.azureml.fingerprint import hash_path
    from amlops.azureml.spec import load_component

    spec = load_component(component)
    lock = settings.project.root / "uv.lock"
    parts = [
        spec.content,
        hash_path(spec.code) if spec.code is not None else "",
        hash_path(lock) if lock.is_file() else "",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _earlier_pass(state_dir: Path, key: str) -> dict[str, Any] | None:
    """The kept record of a passed validation with this key whose report is still there, else None."""
    path = state_dir / PASSES_DIR / f"{key}.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict):
        return None
    report = kept.get("report")
    if not report or not (Path(report) / "result.json").is_file():
        return None
    return kept


def _keep_pass(state_dir: Path, key: str, result: dict[str, Any]) -> None:
    write_json(
        state_dir / PASSES_DIR / f"{key}.json", {k: result[k] for k in ("name", "version", "report", "log")}
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
    key = reuse_key(data_hash=asset.hash, contract=digest, validator=validator_digest(settings, component))
    # Only by a content hash: a version registered without one (outside amlops, on Azure) always runs.
    earlier = None if report_dir or not asset.hash else _earlier_pass(settings.state_dir, key)
    if earlier is not None:
        # Recorded on this version too: it holds the bytes that passed.
        tagged = backend.tag_data(asset.name, asset.version, validation_tags(passed=True, contract=digest))
        say(
            f"[green]data asset {asset.name}:{asset.version} is valid[/]: the same bytes passed against "
            f"the same contract with the same validator as {earlier['name']}:{earlier['version']} "
            "(reused, not validated again)"
        )
        return {
            "name": asset.name,
            "version": asset.version,
            "success": True,
            "failures": [],
            "report": earlier["report"],
            "log": earlier["log"],
            "validation": record(tagged.tags),
            "reused": f"{earlier['name']}:{earlier['version']}",
        }
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
        if asset.hash:
            _keep_pass(settings.state_dir, key, result)
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
