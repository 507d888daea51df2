"""Reading and writing tables: csv or parquet by suffix, a file or a folder of files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

SUFFIXES = (".csv", ".parquet")


def table_files(path: str | Path) -> list[Path]:
    """The data files at `path`: the file itself, or the folder's csv/parquet files (sorted, recursive)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not files:
            raise FileNotFoundError(f"{path}: no .csv or .parquet files in this folder")
        return files
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{path}: unsupported file type (expected .csv or .parquet)")
    return [path]


def read_file(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def read_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """The file's rows, `rows` at a time (the last chunk may be shorter; a file of no rows gives one empty
    chunk), so a large file is never in memory at once. Each csv chunk is typed on its own: a column with a
    bad cell is text in that chunk only."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        source = pq.ParquetFile(path, pre_buffer=False)  # pre-buffered reads are kept until the end
        if source.metadata.num_rows == 0:
            yield source.schema_arrow.empty_table().to_pandas()
            return
        for batch in source.iter_batches(batch_size=rows):
            yield batch.to_pandas()
        return
    with pd.read_csv(path, chunksize=rows) as reader:
        empty = True
        for chunk in reader:
            empty = False
            yield chunk
        if empty:
            yield pd.read_csv(path)


def read_table(path: str | Path) -> pd.DataFrame:
    frames = [read_file(p) for p in table_files(path)]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise ValueError(f"{path}: unsupported file type (expected .csv or .parquet)")
    return path
