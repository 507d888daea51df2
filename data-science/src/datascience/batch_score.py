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
(components/batch_score.yml), `main` walks a folder in mini-batches of `--mini-batch-size` files and writes
`predictions.csv` (or `.parquet` with `--format parquet`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from datascience.bundle import OnnxModel
from datascience.features import as_read, record_problems
from datascience.tables import read_file, table_files

_model: OnnxModel | None = None


def score_frame(model: OnnxModel, frame: pd.DataFrame, *, source: str = "") -> pd.DataFrame:
    contract = model.contract
    # A CSV column with one bad cell is read as text: check what each value reads as, like validate does.
    records = as_read(frame, contract).to_dict(orient="records")
    errors: list[str | None] = [None] * len(frame)
    for problem in record_problems(records, contract):
        if errors[problem.row] is None:
            errors[problem.row] = f"{problem.field}: {problem.message}"
    ok = np.array([e is None for e in errors], dtype=bool)
    out = pd.DataFrame({"source_file": [source] * len(frame)})
    if contract.id_column is not None and contract.id_column.name in frame.columns:
        out[contract.id_column.name] = frame[contract.id_column.name].to_numpy()
    else:  # no id column: the row's position in its file is the key that joins predictions to inputs
        out["source_row"] = np.arange(len(frame))
    if contract.task == "classification":
        out["prediction"] = pd.Series([None] * len(frame), dtype=object)
        for name in contract.classes:
            out[f"probability_{name}"] = np.nan
    else:
        out["prediction"] = np.nan
    if ok.any():
        result = model.predict(frame.loc[ok].reset_index(drop=True))
        if contract.task == "classification":
            out.loc[ok, "prediction"] = result.values.astype(str)
            for i, name in enumerate(result.classes):
                out.loc[ok, f"probability_{name}"] = result.probabilities[:, i]
        else:
            out.loc[ok, "prediction"] = result.values
    out["error"] = errors
    return out


def score_files(model: OnnxModel, files: Sequence[str | Path]) -> pd.DataFrame:
    frames = [score_frame(model, read_file(Path(f)), source=Path(f).name) for f in files]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


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
    score_files(_model, mini_batch).to_csv(target, index=False)
    return [Path(f).name for f in mini_batch]


def score_folder(model_dir: Path, input_path: Path, output: Path, *, mini_batch_size: int, fmt: str) -> Path:
    model = OnnxModel.from_bundle(model_dir)
    files = table_files(input_path)
    batches = [
        score_files(model, files[i : i + mini_batch_size]) for i in range(0, len(files), mini_batch_size)
    ]
    predictions = pd.concat(batches, ignore_index=True)
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"predictions.{fmt}"
    if fmt == "parquet":
        predictions.to_parquet(target, index=False)
    else:
        predictions.to_csv(target, index=False)
    return target


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datascience.batch_score", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--model", type=Path, required=True, help="Model bundle folder (model.onnx, contract.yml)."
    )
    parser.add_argument("--input", type=Path, required=True, help="A csv/parquet file or a folder of them.")
    parser.add_argument("--output", type=Path, required=True, help="Folder for predictions.csv / .parquet.")
    parser.add_argument("--mini-batch-size", type=int, default=10, help="Files per mini-batch.")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="Output file format.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.mini_batch_size < 1:
        print("batch_score: --mini-batch-size must be at least 1", file=sys.stderr)
        return 2
    try:
        target = score_folder(
            args.model, args.input, args.output, mini_batch_size=args.mini_batch_size, fmt=args.format
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"batch_score: {error}", file=sys.stderr)
        return 1
    frame = pd.read_parquet(target) if args.format == "parquet" else pd.read_csv(target)
    rejected = int(frame["error"].notna().sum())
    print(f"batch_score: {len(frame)} rows scored into {target}, {rejected} rejected", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
