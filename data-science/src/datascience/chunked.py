"""Scoring tables in chunks: read, check (column by column, `frame_checks`), score and write `CHUNK_ROWS`
rows at a time, in input order, in this process or in several, so memory stays flat however large a file is.

Used by `batch_score` (the batch deployment's scoring script and the batch component's command); kept out
of that script because Azure ML loads a scoring script from its path, not as a module of a package.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datascience.bundle import OnnxModel
from datascience.frame_checks import row_errors
from datascience.tables import read_chunks

CHUNK_ROWS = 100_000
_worker_model: OnnxModel | None = None


def score_frame(
    model: OnnxModel, frame: pd.DataFrame, *, source: str = "", first_row: int = 0
) -> pd.DataFrame:
    """The scored rows of `frame` (rows `first_row`... of the file `source`)."""
    contract = model.contract
    errors = row_errors(frame, contract)
    ok = np.equal(errors, None)
    out = pd.DataFrame({"source_file": pd.Series([source] * len(frame), dtype="str")})
    if contract.id_column is not None and contract.id_column.name in frame.columns:
        out[contract.id_column.name] = frame[contract.id_column.name].to_numpy()
    else:  # no id column: the row's position in its file is the key that joins predictions to inputs
        out["source_row"] = np.arange(first_row, first_row + len(frame), dtype="int64")
    if contract.task == "classification":
        labels = np.full(len(frame), None, dtype=object)
        probabilities = {name: np.full(len(frame), np.nan) for name in contract.classes}
    else:
        values = np.full(len(frame), np.nan)
    if ok.any():
        result = model.predict(frame.loc[ok].reset_index(drop=True))
        if contract.task == "classification":
            labels[ok] = result.values.astype(str)
            for i, name in enumerate(result.classes):
                probabilities[name][ok] = result.probabilities[:, i]
        else:
            values[ok] = result.values
    if contract.task == "classification":
        out["prediction"] = pd.Series(labels, dtype="str")
        for name, column in probabilities.items():
            out[f"probability_{name}"] = column
    else:
        out["prediction"] = values
    out["error"] = pd.Series(errors, dtype="str")
    return out


@dataclass(frozen=True)
class Chunk:
    """Rows `first_row`... of one input file."""

    source: str
    first_row: int
    frame: pd.DataFrame


def file_chunks(files: Iterable[str | Path], rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    for file in map(Path, files):
        first, frames = 0, read_chunks(file, rows)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except (OSError, ValueError) as error:  # pyarrow's and pandas' parse errors are ValueErrors
                where = f" past row {first}" if first else ""
                raise ValueError(f"{file}: cannot be read{where}: {error}") from error
            yield Chunk(file.name, first, frame.reset_index(drop=True))
            first += len(frame)


class TableSink:
    """predictions.csv or .parquet, written a chunk at a time with pyarrow (a parquet row group per chunk;
    csv strings quoted). The first chunk sets the columns' types; a column all null in it is typed as text."""

    def __init__(self, path: Path, fmt: str):
        self.path, self.fmt, self.writer, self.schema = path, fmt, None, None

    def write(self, scored: pd.DataFrame) -> None:
        import pyarrow as pa

        table = pa.Table.from_pandas(scored, preserve_index=False)
        if self.writer is None:
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            self.schema = pa.schema(fields)
            self.writer = self._open(self.schema)
        self.writer.write_table(table.cast(self.schema))

    def _open(self, schema: Any) -> Any:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetWriter(self.path, schema)
        import pyarrow.csv as pcsv

        return pcsv.CSVWriter(self.path, schema, write_options=pcsv.WriteOptions(quoting_style="needed"))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@dataclass
class Totals:
    rows: int = 0
    rejected: int = 0

    def add(self, scored: pd.DataFrame) -> None:
        self.rows += len(scored)
        self.rejected += int(scored["error"].notna().sum())


def score_chunks(model: OnnxModel, chunks: Iterable[Chunk], sink: TableSink) -> Totals:
    totals = Totals()
    for chunk in chunks:
        scored = score_frame(model, chunk.frame, source=chunk.source, first_row=chunk.first_row)
        sink.write(scored)
        totals.add(scored)
    return totals


def _init_worker(model_dir: str) -> None:
    global _worker_model  # noqa: PLW0603 - each worker process loads the model once
    _worker_model = OnnxModel.from_bundle(model_dir)


def _score_in_worker(chunk: Chunk) -> pd.DataFrame:
    if _worker_model is None:
        raise RuntimeError("the worker's model is not loaded")
    return score_frame(_worker_model, chunk.frame, source=chunk.source, first_row=chunk.first_row)


def score_chunks_in_parallel(
    model_dir: Path, chunks: Iterable[Chunk], sink: TableSink, *, workers: int
) -> Totals:
    """`score_chunks` in `workers` processes, at most two chunks per worker in flight (flat memory), written
    in input order."""
    import multiprocessing

    totals = Totals()
    context = multiprocessing.get_context("forkserver")  # no fork of a process whose threads hold locks
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(str(model_dir),)
    ) as pool:
        pending: deque[Future[pd.DataFrame]] = deque()

        def drain(keep: int) -> None:
            while len(pending) > keep:
                scored = pending.popleft().result()
                sink.write(scored)
                totals.add(scored)

        for chunk in chunks:
            pending.append(pool.submit(_score_in_worker, chunk))
            drain(2 * workers)
        drain(0)
    return totals


def write_whole(target: Path, fill: Callable[[TableSink], Totals]) -> Totals:
    """`fill` a sink for `target`; the file appears whole or not at all (a retried mini-batch or a run that
    dies half-way leaves no half file)."""
    partial = target.with_name(f".{target.name}.partial")
    sink = TableSink(partial, target.suffix.lstrip("."))
    try:
        totals = fill(sink)
        sink.close()
        partial.replace(target)
    finally:
        sink.close()
        partial.unlink(missing_ok=True)
    return totals
