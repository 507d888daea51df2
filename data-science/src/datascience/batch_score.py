"""Batch scoring: Azure ML batch `init()` / `run(mini_batch)`, and `python -m datascience.batch_score`.

Scored rows have `source_file`, the contract's id column (or, when it has none, `source_row`: the row's
0-based position in its file), `prediction` (plus
`probability_<class>` for classification) and `error`: rows that break the contract are not scored, their
`error` names the field and the problem.

As a batch deployment's scoring script (pipelines/azureml/batch-deployment.yml, `output_action:
summary_only`), a mini-batch is a list of file paths (csv/parquet); `run` writes their rows, with a header,
to `predictions-<digest>.csv` in the job's output folder (`AZUREML_BI_OUTPUT_PATH`) and returns the names
of the files it scored (Azure ML counts one success per element). `append_row` would write the rows without
a header, values separated by spaces, which cannot hold an error message. As a command component
(components/batch_score.yml), `main` scores every file of a folder into `predictions.csv` (or `.parquet`
with `--format parquet`), `--workers` processes at a time (default: the cores this process may use).

Files are read, checked, scored and written in chunks of `--chunk-rows` rows (`datascience.chunked`), so
memory stays flat however large a file is; the output keeps the input's order.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from datascience.bundle import OnnxModel
from datascience.chunked import (
    CHUNK_ROWS,
    TableSink,
    Totals,
    file_chunks,
    score_chunks,
    score_chunks_in_parallel,
    write_whole,
)
from datascience.tables import table_files

_model: OnnxModel | None = None


def init() -> None:
    global _model  # noqa: PLW0603 - Azure ML's init()/run() contract keeps the model in module state
    _model = OnnxModel.from_bundle(os.environ.get("AZUREML_MODEL_DIR", "."))


def run(mini_batch: list[str]) -> list[str]:
    if _model is None:
        raise RuntimeError("init() did not run")
    output = os.environ.get("AZUREML_BI_OUTPUT_PATH")
    if not output:
        raise RuntimeError("AZUREML_BI_OUTPUT_PATH is not set: run() writes its rows into the job's output")
    digest = hashlib.sha256("\n".join(sorted(map(str, mini_batch))).encode()).hexdigest()[:16]
    target = Path(output) / f"predictions-{digest}.csv"
    model = _model
    write_whole(target, lambda sink: score_chunks(model, file_chunks(mini_batch), sink))
    return [Path(f).name for f in mini_batch]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def score_folder(
    model_dir: Path,
    input_path: Path,
    output: Path,
    *,
    fmt: str,
    workers: int = 1,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[Path, Totals]:
    """Every file of `input_path` into `output/predictions.<fmt>`; in `workers` processes when the input
    has more than one chunk (a small input is not worth starting them)."""
    files = table_files(input_path)
    model = OnnxModel.from_bundle(model_dir)  # a bad bundle fails here, before any worker starts
    output.mkdir(parents=True, exist_ok=True)
    chunks = file_chunks(files, chunk_rows)
    head = list(itertools.islice(chunks, 2))
    everything = itertools.chain(head, chunks)

    def fill(sink: TableSink) -> Totals:
        if workers > 1 and len(head) > 1:
            return score_chunks_in_parallel(model_dir, everything, sink, workers=workers)
        return score_chunks(model, everything, sink)

    target = output / f"predictions.{fmt}"
    return target, write_whole(target, fill)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datascience.batch_score", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--model", type=Path, required=True, help="Model bundle folder (model.onnx, contract.yml)."
    )
    parser.add_argument("--input", type=Path, required=True, help="A csv/parquet file or a folder of them.")
    parser.add_argument("--output", type=Path, required=True, help="Folder for predictions.csv / .parquet.")
    parser.add_argument(
        "--chunk-rows", type=int, default=CHUNK_ROWS, help="Rows read, checked and scored at a time."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Scoring processes (default: the cores this process may use).",
    )
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="Output file format.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ("chunk_rows", "workers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"batch_score: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    workers = args.workers or default_workers()
    try:
        target, totals = score_folder(
            args.model, args.input, args.output, fmt=args.format, workers=workers, chunk_rows=args.chunk_rows
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"batch_score: {error}", file=sys.stderr)
        return 1
    print(
        f"batch_score: {totals.rows} rows scored into {target}, {totals.rejected} rejected", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
