"""Deploy a model version to a batch endpoint and score a smoke batch with it.

Creates (or updates) the deployment from pipelines/azureml/batch-deployment.yml with the version's model,
makes it the endpoint's default, runs a batch job over --input, downloads what it wrote and asserts one
output row per input row, a `prediction` column of finite values and every `--expect-column`.
Exits 1 otherwise.
Prints {"endpoint", "deployment", "model", "version", "job", "rows", "output", "columns"}.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend
from amlops.config import Settings
from amlops.errors import FailedError, UsageError
from amlops.output import emit_result, say
from amlops.progress import StepProgress
from amlops.verbs._common import add_model_reference, as_folder, backend_for, optional_path, resolve_model

TABLE_SUFFIXES = (".csv", ".parquet")
OUTPUT_MARKER = ".amlops-batch-output"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="batch endpoint name")
    add_model_reference(parser)
    parser.add_argument("--deployment", default=None, help="deployment name (default v<version>)")
    parser.add_argument("--input", required=True, type=Path, help="file or folder of csv/parquet files")
    parser.add_argument(
        "--output",
        type=optional_path,
        default=None,
        help="folder that receives a copy of the job's files, replacing what it held (default/empty: none)",
    )
    parser.add_argument(
        "--expect-column",
        dest="expect_columns",
        action="append",
        type=column_names,
        default=[],
        metavar="NAME[,NAME...]",
        help="a column the predictions must contain (repeatable; commas separate several)",
    )
    parser.add_argument(
        "--deployment-spec",
        type=Path,
        default=None,
        help="model batch deployment spec (default pipelines/azureml/batch-deployment.yml)",
    )


def column_names(text: str) -> list[str]:
    """`a, b,,c` -> [a, b, c]: a pipeline passes its comma-separated parameter as one value."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _tables(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and p.suffix in TABLE_SUFFIXES and not p.name.startswith(".")
    )


def _read(path: Path) -> Any:
    """A csv/parquet file as a DataFrame; one that cannot be read raises ValueError naming it."""
    import pandas as pd

    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # pandas/pyarrow raise many types for unreadable files
        raise ValueError(
            f"cannot read {path}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None


def _replace_output(output: Path, source: Path, *, protected: Sequence[Path]) -> Path:
    """Make `output` a copy of the job's files. Only a folder amlops itself wrote (it holds the marker file)
    or an empty one is replaced, never one that holds the project or the input."""
    output = output.resolve()
    for keep in protected:
        if output == keep or output in keep.parents:
            raise UsageError(f"--output {output} holds {keep}; name a folder of its own")
    if output.exists() and (
        not output.is_dir() or (any(output.iterdir()) and not (output / OUTPUT_MARKER).is_file())
    ):
        raise UsageError(
            f"--output {output} exists and was not written by amlops deploy-batch; "
            "name an empty or new folder (it is replaced by each job's files)"
        )
    staging = output.with_name(f".{output.name}.amlops-tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    (staging / OUTPUT_MARKER).write_text("written by amlops deploy-batch; replaced by the next job\n")
    shutil.rmtree(output, ignore_errors=True)
    staging.replace(output)
    return output


def count_rows(path: Path) -> int:
    """Rows over every csv/parquet file (a row count is format knowledge, not data logic)."""
    return sum(len(_read(p)) for p in _tables(path))


def check_predictions(
    output_dir: Path, expected_rows: int, expected_columns: Sequence[str] = ()
) -> tuple[int, list[str]]:
    import pandas as pd

    files = _tables(output_dir)
    if not files:
        raise FailedError(f"batch job wrote no csv/parquet file under {output_dir}")
    frame = pd.concat([_read(p) for p in files], ignore_index=True)
    columns = [str(c) for c in frame.columns]
    problems = []
    if len(frame) != expected_rows:
        problems.append(f"{len(frame)} output row(s) for {expected_rows} input row(s)")
    prediction = next((c for c in columns if c.startswith("prediction")), None)
    rejected = frame["error"].dropna() if "error" in frame.columns else None
    if rejected is not None and len(rejected):
        examples = "; ".join(str(e) for e in rejected.head(3))
        problems.append(f"{len(rejected)} of {len(frame)} input row(s) were rejected: {examples}")
    elif prediction is None:
        problems.append(f"no prediction column in the output (columns: {columns})")
    elif pd.api.types.is_numeric_dtype(frame[prediction]):
        if not frame[prediction].notna().all() or not frame[prediction].abs().lt(float("inf")).all():
            problems.append(f"column {prediction!r} has missing or infinite values")
    elif frame[prediction].isna().any():
        problems.append(f"column {prediction!r} has missing values")
    missing = [name for name in expected_columns if name not in columns]
    if missing:
        problems.append(f"missing expected column(s) {missing} (columns: {columns})")
    if problems:
        raise FailedError(
            f"batch output check failed: {'; '.join(problems)}",
            result={"rows": len(frame), "columns": columns, "problems": problems},
        )
    return len(frame), columns


def deploy_batch(
    backend: Backend,
    settings: Settings,
    *,
    endpoint: str,
    model_name: str,
    version: str | None = None,
    alias: str | None = None,
    deployment: str | None = None,
    input_path: Path,
    output: Path | None = None,
    deployment_spec: Path | None = None,
    expect_columns: Sequence[str] = (),
) -> dict[str, Any]:
    input_path = input_path.resolve()
    if not input_path.exists():
        raise UsageError(f"batch input not found: {input_path}")
    try:
        expected = count_rows(input_path)
    except ValueError as exc:
        raise UsageError(f"batch input: {exc}") from None
    if expected == 0:
        raise UsageError(f"no rows in csv/parquet files under {input_path}")
    model = resolve_model(backend, model_name, version=version, alias=alias)
    name = deployment or f"v{model.version}"
    spec = (deployment_spec or settings.project.batch_deployment).resolve()
    if not spec.is_file():
        raise UsageError(f"no batch deployment spec at {spec} (--deployment-spec)")
    backend.deploy_batch(endpoint, name, model, deployment_spec=spec)
    with StepProgress(f"deploy-batch {endpoint}/{name} over {expected} row(s)"):
        job = backend.run_batch(
            endpoint,
            input_dir=as_folder(input_path, settings.state_dir / "batch-inputs", endpoint),
        )
    try:
        rows, columns = check_predictions(job.output_dir, expected, expect_columns)
    except ValueError as exc:
        raise FailedError(f"batch output: {exc}") from None
    where = job.output_dir
    if output is not None:  # the job's own files only: a second job (another environment) replaces them
        where = _replace_output(output, job.output_dir, protected=(settings.project.root, input_path))
    say(f"[green]batch {endpoint}/{name}: {rows} prediction(s) in {where}[/]")
    return {
        "endpoint": endpoint,
        "deployment": name,
        "model": model.name,
        "version": model.version,
        "job": job.job,
        "rows": rows,
        "columns": columns,
        "output": str(where),
    }


def execute(args: argparse.Namespace) -> int:
    emit_result(
        deploy_batch(
            backend_for(args),
            args.settings,
            endpoint=args.endpoint,
            model_name=args.model_name,
            version=args.version,
            alias=args.alias,
            deployment=args.deployment,
            input_path=args.input,
            output=args.output,
            deployment_spec=args.deployment_spec,
            expect_columns=[name for names in args.expect_columns for name in names],
        )
    )
    return 0
