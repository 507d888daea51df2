"""Run an Azure ML pipeline job (default: the project's train pipeline) on the backend.

`--data NAME[:VERSION]` binds a registered data asset to the job's data input (pinned to a version, so the
run's lineage names it); `--set input=VALUE` overrides any other pipeline input. Exits 1 if a step fails
(downstream steps are skipped). Prints {"run_id", "status", "outputs", "failed_step"}.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend
from amlops.config import Settings
from amlops.errors import FailedError
from amlops.output import emit_result, say
from amlops.progress import StepProgress
from amlops.verbs._common import backend_for, key_value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file", type=Path, default=None, help="pipeline job YAML (default: the train pipeline)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        type=key_value,
        default=[],
        metavar="INPUT=VALUE",
        help="set a pipeline input (repeatable)",
    )
    parser.add_argument(
        "--data", default=None, metavar="NAME[:VERSION]", help="data asset for the data input"
    )
    parser.add_argument(
        "--data-input", default="raw_data", help="the pipeline input --data binds (default raw_data)"
    )


def run_pipeline(
    backend: Backend,
    settings: Settings,
    *,
    file: Path | None = None,
    overrides: Sequence[tuple[str, str]] | Mapping[str, Any] = (),
    data: str | None = None,
    data_input: str = "raw_data",
) -> dict[str, Any]:
    job_file = (file or settings.project.train_pipeline).resolve()
    inputs: dict[str, Any] = dict(overrides.items() if isinstance(overrides, Mapping) else overrides)
    if data:
        name, _, version = data.partition(":")
        asset = backend.get_data(name, version or None)
        inputs[data_input] = asset.reference
    for key, value in list(inputs.items()):
        if key == "contract" and isinstance(value, str) and not value.startswith("azureml:"):
            inputs[key] = str(Path(value).resolve())
    with StepProgress(f"run-pipeline {job_file.name}") as progress:
        run = backend.run_pipeline(job_file, inputs=inputs, on_event=progress.on_event)
    result = {
        "run_id": run.run_id,
        "status": run.status,
        "outputs": {k: str(v) for k, v in run.outputs.items()},
        "failed_step": run.failed_step,
        "steps": dict(run.steps),
        "run_dir": str(run.run_dir),
        "duration_s": run.duration_s,
    }
    if not run.succeeded:
        raise FailedError(f"pipeline run {run.run_id} failed: {run.error}", result=result)
    say(f"[green]pipeline run {run.run_id} completed[/] ({run.duration_s}s)")
    return result


def execute(args: argparse.Namespace) -> int:
    result = run_pipeline(
        backend_for(args),
        args.settings,
        file=args.file,
        overrides=args.overrides,
        data=args.data,
        data_input=args.data_input,
    )
    emit_result(result)
    return 0
