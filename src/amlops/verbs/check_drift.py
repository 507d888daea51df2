"""Compare current data with a registered reference snapshot using the project's drift component.

Runs data-science/components/drift.yml (PSI/KS per contract feature). The current data is a file or folder
(`--current`) or, without one, the scoring inputs the data collector of an online endpoint's live deployment
logged in the last `--window-hours` (`--collected-from ENDPOINT`: Azure ML's collected `model_inputs` in the
workspace's blob store, or the local backend's copy of that layout). On drift it appends a
`data-drift-detected` event (which can trigger training) and, with --fail-on-drift, exits 1. A window in
which nothing was scored is no drift, and says so.
Prints {"drifted", "reference", "report", "current", ...the component's summary}.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from amlops.backends.base import Backend, DataAsset
from amlops.config import Settings
from amlops.errors import FailedError, UsageError
from amlops.output import emit_result, say
from amlops.progress import StepProgress
from amlops.verbs._common import as_folder, backend_for, optional_path, optional_text, positive_float

DEFAULT_WINDOW_HOURS = 24.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="data asset holding the reference (training) data")
    parser.add_argument(
        "--reference-version",
        type=optional_text,
        default=None,
        help="reference version (default/empty: latest)",
    )
    parser.add_argument(
        "--current",
        type=optional_path,
        default=None,
        help="current data: file or folder (default/empty: the inputs collected from --collected-from)",
    )
    parser.add_argument(
        "--collected-from",
        type=optional_text,
        default=None,
        metavar="ENDPOINT",
        help="online endpoint whose live deployment's collected model inputs are the current data",
    )
    parser.add_argument(
        "--window-hours",
        type=positive_float,
        default=DEFAULT_WINDOW_HOURS,
        help=f"collected inputs of the last N hours count (default {DEFAULT_WINDOW_HOURS:g})",
    )
    parser.add_argument("--threshold", type=float, default=None, help="drift threshold (component default)")
    parser.add_argument(
        "--contract", type=Path, default=None, help="dataset contract (default: the project's)"
    )
    parser.add_argument(
        "--fail-on-drift",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="exit 1 when drift is detected",
    )


def _input_types(component: Path) -> dict[str, str]:
    document = yaml.safe_load(component.read_text(encoding="utf-8")) or {}
    inputs = document.get("inputs") or {}
    return {str(k): str(v.get("type", "")) for k, v in inputs.items() if isinstance(v, dict)}


def _staged(path: Path, settings: Settings, role: str, kind: str) -> Path:
    """A `uri_folder` input gets a folder (as on Azure ML): a single data file is staged into one."""
    return as_folder(path, settings.state_dir / "drift-inputs", role) if kind == "uri_folder" else path


def _reference_input(reference: DataAsset, settings: Settings, kind: str, role: str = "reference") -> Any:
    """The reference snapshot as the drift component's input: a local folder, or, when the asset lives in
    the cloud, its asset reference (`uri_file`) or the datastore folder holding its file (`uri_folder`:
    uploads are content-addressed, `.../LocalUpload/<hash>/<file>`, so that folder holds just this file)."""
    if reference.path is not None:
        return _staged(Path(reference.path), settings, role, kind)
    if kind == "uri_folder" and reference.uri and not reference.uri.endswith("/"):
        return reference.uri.rsplit("/", 1)[0] + "/"
    return reference.reference


def drift_report(
    backend: Backend,
    settings: Settings,
    *,
    reference: DataAsset,
    current: Any,
    threshold: float | None = None,
    contract: Path | None = None,
    label: str = "",
    since: datetime | None = None,
) -> tuple[dict[str, Any], Path]:
    """Run the project's drift component (`current`: a local path or a data asset) -> (drift.json, its file).

    No event and no verdict: check-drift and the run report both call it."""
    kinds = _input_types(settings.project.component("drift"))
    if isinstance(current, DataAsset):
        current_input = _reference_input(current, settings, kinds.get("current", ""), "current")
    else:
        current_input = _staged(Path(current).resolve(), settings, "current", kinds.get("current", ""))
    inputs: dict[str, Any] = {
        "contract": (contract or settings.project.contract).resolve(),
        "reference": _reference_input(reference, settings, kinds.get("reference", "")),
        "current": current_input,
    }
    if threshold is not None:
        inputs["threshold"] = threshold
    if since is not None:
        inputs["since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    with StepProgress(label or f"check-drift against {reference.name}:{reference.version}") as progress:
        run = backend.run_component(
            settings.project.component("drift"), inputs=inputs, label="drift", on_event=progress.on_event
        )
    if not run.succeeded:
        where = f"log {run.log_path}" if run.log_path else "no log came back from the job"
        raise FailedError(f"drift component failed (exit {run.exit_code}); {where}:\n{run.log_tail}")
    report_dir = Path(next(iter(run.outputs.values())))
    report_file = report_dir / "drift.json" if report_dir.is_dir() else report_dir
    return json.loads(report_file.read_text(encoding="utf-8")), report_file


def window_start(hours: float, now: datetime | None = None) -> datetime:
    """The start of a collection window of `hours` ending `now` (UTC, whole seconds)."""
    end = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return end - timedelta(hours=hours)


def check_drift(
    backend: Backend,
    settings: Settings,
    *,
    name: str,
    current: Path | None = None,
    collected_from: str | None = None,
    window_hours: float = DEFAULT_WINDOW_HOURS,
    reference_version: str | None = None,
    threshold: float | None = None,
    contract: Path | None = None,
    fail_on_drift: bool = False,
) -> dict[str, Any]:
    if current is None and not collected_from:
        raise UsageError("give the current data: --current FILE_OR_FOLDER or --collected-from ENDPOINT")
    reference = backend.get_data(name, reference_version)
    since: datetime | None = None
    current_input: Any = current
    described = str(current)
    if current is None:
        current_input = backend.collected_inputs(str(collected_from))
        since = window_start(window_hours)
        described = f"{current_input.source} model inputs since {since.isoformat()}"
        say(f"current data: the scoring inputs {described} ({current_input.uri})")
    document, report_file = drift_report(
        backend,
        settings,
        reference=reference,
        current=current_input,
        threshold=threshold,
        contract=contract,
        since=since,
    )
    drifted = bool(document.get("drifted"))
    result = {
        **document,
        "drifted": drifted,
        "reference": reference.reference,
        "report": str(report_file),
        "current": described,
    }
    if drifted:
        backend.append_event(
            {
                "type": "data-drift-detected",
                "data": reference.name,
                "reference_version": reference.version,
                "current": described,
            }
        )
        say(f"[red]drift detected[/] against {reference.reference}")
        if fail_on_drift:
            raise FailedError(f"drift detected against {reference.reference}", result=result)
    elif document.get("note"):
        say(f"[yellow]no drift measured[/]: {document['note']}")
    else:
        say(f"[green]no drift[/] against {reference.reference}")
    return result


def execute(args: argparse.Namespace) -> int:
    emit_result(
        check_drift(
            backend_for(args),
            args.settings,
            name=args.name,
            current=args.current,
            collected_from=args.collected_from,
            window_hours=args.window_hours,
            reference_version=args.reference_version,
            threshold=args.threshold,
            contract=args.contract,
            fail_on_drift=args.fail_on_drift,
        )
    )
    return 0
