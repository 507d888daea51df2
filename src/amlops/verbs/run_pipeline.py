"""Run an Azure ML pipeline job (default: the project's train pipeline) on the backend.

`--data NAME[:VERSION]` binds a registered data asset to the job's data input (pinned to a version, so the
run's lineage names it); `--set input=VALUE` overrides any other pipeline input. Exits 1 if a step fails
(downstream steps are skipped). Prints {"run_id", "status", "outputs", "failed_step"}.

A bound data asset version (`--data`, or `--set <data input>=azureml:NAME:VERSION`) must carry a passed
validate-data record for the contract the job trains with (its `contract` input: `--set contract=`, else
the job file's, else the project's); otherwise nothing is submitted and the verb exits 3 naming the
`amlops validate-data` command to run. `--allow-unvalidated` skips the check (the run is tagged
`amlops.allow_unvalidated=true`).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend, DataAsset
from amlops.config import Settings
from amlops.errors import FailedError, RefusedError, UsageError
from amlops.output import emit_result, say
from amlops.progress import StepProgress
from amlops.validation import contract_digest, record, refusal
from amlops.verbs._common import backend_for, key_value, project_relative

ALLOW_TAG = "amlops.allow_unvalidated"


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
    parser.add_argument(
        "--allow-unvalidated",
        action="store_true",
        help="train even if the data version failed validate-data or was not validated against the "
        "pipeline's contract (the run is tagged amlops.allow_unvalidated=true)",
    )


def _job_contract(job_file: Path) -> Path | None:
    """The local path the job file gives its `contract` input, if it gives one."""
    import yaml

    try:
        document = yaml.safe_load(job_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None  # the backend reports what is wrong with the file
    declared = ((document or {}).get("inputs") or {}).get("contract") if isinstance(document, dict) else None
    path = declared.get("path") if isinstance(declared, dict) else declared
    if not isinstance(path, str) or path.startswith("azureml:") or "://" in path:
        return None
    return (job_file.parent / path).resolve()


def _contract(job_file: Path, inputs: Mapping[str, Any], settings: Settings) -> Path:
    given = inputs.get("contract")
    if isinstance(given, str) and (given.startswith("azureml:") or "://" in given):
        raise UsageError(
            f"cannot check data validation against the contract {given}: give contract as a local file "
            "(--set contract=PATH), or pass --allow-unvalidated"
        )
    contract = Path(given) if given else _job_contract(job_file) or settings.project.contract.resolve()
    if not contract.is_file():
        raise UsageError(f"dataset contract not found: {contract}")
    return contract


def _data_reference(value: object) -> tuple[str, str | None] | None:
    """(name, version or None for latest) of an `azureml:NAME:VERSION` / `azureml:NAME@latest` value."""
    if not isinstance(value, str) or not value.startswith("azureml:") or "/" in value:
        return None
    body = value.removeprefix("azureml:")
    if body.endswith("@latest") and ":" not in body:
        return body.removesuffix("@latest"), None
    name, sep, version = body.partition(":")
    return (name, version) if sep and name and version and ":" not in version else None


def _bound_assets(backend: Backend, inputs: Mapping[str, Any], known: DataAsset | None) -> list[DataAsset]:
    """The registered data versions the job's inputs name (`azureml:NAME:VERSION`, `azureml:NAME@latest`)."""
    assets = [known] if known is not None else []
    for value in inputs.values():
        reference = _data_reference(value)
        if reference is None or (known is not None and value == known.reference):
            continue
        try:
            asset = backend.get_data(*reference)
        except UsageError:
            continue  # not a data asset (an environment, a model...): not ours to check
        if (asset.name, asset.version) not in {(a.name, a.version) for a in assets}:
            assets.append(asset)
    return assets


def check_validated(
    backend: Backend, settings: Settings, job_file: Path, inputs: Mapping[str, Any], asset: DataAsset | None
) -> None:
    """RefusedError unless every bound data version passed validate-data against the job's contract."""
    contract: Path | None = None
    for bound in _bound_assets(backend, inputs, asset):
        contract = contract or _contract(job_file, inputs, settings)
        digest = contract_digest(contract)
        reason = refusal(bound, digest)
        if reason is None:
            continue
        command = f"amlops validate-data --name {bound.name} --version {bound.version}"
        if contract.resolve() != settings.project.contract.resolve():
            command += f" --contract {project_relative(contract, settings.project.root)}"
        raise RefusedError(
            f"data asset {bound.name}:{bound.version} {reason}: not training on it. Run `{command}` first, "
            "or pass --allow-unvalidated to train on it anyway",
            result={
                "name": bound.name,
                "version": bound.version,
                "contract": digest,
                "validation": record(bound.tags),
            },
        )


def run_pipeline(
    backend: Backend,
    settings: Settings,
    *,
    file: Path | None = None,
    overrides: Sequence[tuple[str, str]] | Mapping[str, Any] = (),
    data: str | None = None,
    data_input: str = "raw_data",
    allow_unvalidated: bool = False,
) -> dict[str, Any]:
    job_file = (file or settings.project.train_pipeline).resolve()
    inputs: dict[str, Any] = dict(overrides.items() if isinstance(overrides, Mapping) else overrides)
    asset = None
    if data:
        name, _, version = data.partition(":")
        asset = backend.get_data(name, version or None)
        inputs[data_input] = asset.reference
    for key, value in list(inputs.items()):
        if key == "contract" and isinstance(value, str) and not value.startswith("azureml:"):
            inputs[key] = str(Path(value).resolve())
    tags: dict[str, str] = {}
    if allow_unvalidated:
        tags[ALLOW_TAG] = "true"
        say("[yellow]--allow-unvalidated: the data's validation record is not checked[/]")
    else:
        check_validated(backend, settings, job_file, inputs, asset)
    with StepProgress(f"run-pipeline {job_file.name}") as progress:
        run = backend.run_pipeline(job_file, inputs=inputs, tags=tags or None, on_event=progress.on_event)
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
        allow_unvalidated=args.allow_unvalidated,
    )
    emit_result(result)
    return 0
