"""Deterministic sample data for a contract: `python -m datascience.generate --contract C --output F`.

Columns are drawn from the contract (types, ranges, categories), never listed here. For a regression
contract the target follows a fare-like formula: a base charge + a rate per unit of each float feature
(the distance, for the taxi contract) + a per-unit charge for int features (passengers) + a time-of-day
surcharge from the timestamp + an effect per category (zones, vendor, payment) + noise that grows with
distance. A classification target is the arg-max of per-class linear scores plus noise.

`--bad-rows N` breaks N rows of the first chunk in turn with: a null in a non-nullable numeric feature,
an out-of-range numeric value, an unknown category, and a value of the wrong type. A CSV holds the
wrong type as the string "not-a-number" in a numeric column; parquet cannot mix types in a column, so
that whole column is written as strings (the digits of every other row plus "not-a-number"), which
is what a broken upstream export looks like. `--drift F` (0..1) scales float features by (1 + F),
shifts category frequencies towards the rarest categories, and moves pickup hours F * 6 hours later.
Rows are generated in chunks of `--chunk-rows` with one random stream per chunk, so 10 million rows
fit in memory and the output depends only on seed, rows, chunk size and options.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from datascience.contract import Column, Contract, ContractError, load_contract

MIN_ROWS, MAX_ROWS = 1_000, 10_000_000
DEFECT_KINDS = ("null", "out_of_range", "unknown_category", "wrong_type")
WRONG_TYPE_VALUE = "not-a-number"
UNKNOWN_CATEGORY = "not-a-category"
# Relative pickup frequency per hour of day (0..23): quiet nights, morning and evening peaks.
HOUR_PROFILE = np.array(
    [3, 2, 1.5, 1, 1, 1.5, 3, 5, 6.5, 6, 5.5, 5.5, 6, 6, 6, 6.5, 7, 7.5, 8, 7.5, 7, 6.5, 5.5, 4]
)


@dataclass(frozen=True)
class Defect:
    row: int
    column: str
    kind: str


def category_weights(categories: Sequence[str], drift: float) -> np.ndarray:
    """Skewed frequencies (earlier categories more common), mixed towards the reverse order by `drift`."""
    base = 1.0 / np.arange(1, len(categories) + 1) ** 0.8
    base /= base.sum()
    mixed = (1 - drift) * base + drift * base[::-1]
    return mixed / mixed.sum()


def category_effects(column: Column, scale: float) -> np.ndarray:
    """A fixed effect per category, derived from the column name so it is stable across runs."""
    rng = np.random.default_rng(zlib.crc32(column.name.encode()))
    return rng.normal(0.0, scale, size=len(column.categories or ()))


def time_of_day_effect(hours: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    night = (hours >= 22) | (hours < 6)
    peak = (weekdays < 5) & (((hours >= 7) & (hours < 10)) | ((hours >= 16) & (hours < 20)))
    return 1.0 * night + 2.5 * peak


def _numeric_range(column: Column, default: tuple[float, float]) -> tuple[float, float]:
    low = column.min if column.min is not None else default[0]
    high = column.max if column.max is not None else default[1]
    return float(low), float(high)


def generate_chunk(
    contract: Contract, *, rows: int, rng: np.random.Generator, start: int = 0, drift: float = 0.0
) -> pd.DataFrame:
    """`rows` clean rows following the contract; `start` numbers the ids."""
    data: dict[str, object] = {}
    hours = weekdays = None
    for column in contract.columns:
        if column.role == "target":
            continue
        if column.role == "id":
            data[column.name] = np.char.add("T", np.char.zfill(np.arange(start, start + rows).astype(str), 9))
        elif column.type == "datetime":
            low = pd.Timestamp(column.min or "2024-01-01")
            high = pd.Timestamp(column.max or "2024-12-31T23:59:59")
            days = rng.integers(0, max((high - low).days, 1), size=rows)
            shift = round(6 * drift)
            hours = (rng.choice(24, size=rows, p=HOUR_PROFILE / HOUR_PROFILE.sum()) + shift) % 24
            seconds = rng.integers(0, 3600, size=rows)
            offsets = pd.to_timedelta(days, "D") + pd.to_timedelta(hours * 3600 + seconds, "s")
            stamps = pd.Series(low.normalize() + offsets).clip(low, high).astype("datetime64[us]")
            data[column.name] = stamps.to_numpy()
            hours, weekdays = stamps.dt.hour.to_numpy(), stamps.dt.day_of_week.to_numpy()
        elif column.type == "float":
            low, high = _numeric_range(column, (0.0, 100.0))
            typical = max(low, 0.0) + (high - low) * 0.025
            values = rng.lognormal(np.log(typical), 0.75, size=rows) * (1 + drift)
            data[column.name] = np.round(np.clip(values, low, high), 2)
        elif column.type == "int":
            low, high = _numeric_range(column, (0, 10))
            levels = np.arange(int(low), int(high) + 1)
            weights = 0.35 ** np.arange(len(levels))
            values = rng.choice(levels, size=rows, p=weights / weights.sum()).astype("float64")
            if column.nullable:
                values[rng.random(rows) < 0.02] = np.nan
            data[column.name] = pd.array(values, dtype="Int64")
        elif column.type == "bool":
            data[column.name] = rng.random(rows) < 0.5
        elif column.type == "category":
            weights = category_weights(column.categories, drift)
            data[column.name] = np.asarray(column.categories, dtype=object)[
                rng.choice(len(column.categories), size=rows, p=weights)
            ]
        else:
            data[column.name] = np.char.add(column.name[:1], rng.integers(0, 10**6, size=rows).astype(str))
    frame = pd.DataFrame(data)
    frame[contract.target] = _target(frame, contract, rng, hours, weekdays)
    return frame[list(contract.names)]


def _target(
    frame: pd.DataFrame,
    contract: Contract,
    rng: np.random.Generator,
    hours: np.ndarray | None,
    weekdays: np.ndarray | None,
) -> object:
    rows = len(frame)
    features = contract.features
    if contract.task == "classification":
        scores = rng.gumbel(size=(rows, len(contract.classes)))
        for column in features:
            if column.type == "category":
                effects = np.random.default_rng(zlib.crc32(column.name.encode())).normal(
                    0, 1.5, size=(len(column.categories), len(contract.classes))
                )
                scores += effects[pd.Categorical(frame[column.name], column.categories).codes]
            elif column.is_numeric:
                values = frame[column.name].astype("float64").fillna(0).to_numpy()
                z = (values - values.mean()) / (values.std() or 1.0)
                weights = np.random.default_rng(zlib.crc32(column.name.encode())).normal(
                    0, 2.0, len(contract.classes)
                )
                scores += np.outer(z, weights)
        return np.asarray(contract.classes, dtype=object)[scores.argmax(axis=1)]
    target = contract.target_column
    low, high = _numeric_range(target, (0.0, np.inf))
    value = np.full(rows, max(low, 0.0) + 0.5)
    distance = np.zeros(rows)
    for column in features:
        if column.type == "float":
            values = frame[column.name].to_numpy(dtype="float64")
            value += 1.75 * values
            distance += values
        elif column.type == "int":
            values = frame[column.name].astype("float64").fillna(column.min or 0).to_numpy()
            value += 0.3 * (values - (column.min or 0))
        elif column.type == "bool":
            value += 0.5 * frame[column.name].to_numpy(dtype="float64")
        elif column.type == "category":
            codes = pd.Categorical(frame[column.name], column.categories).codes
            value += category_effects(column, 1.5)[codes]
    if hours is not None:
        value += time_of_day_effect(hours, weekdays)
    value += rng.normal(0.0, 0.8 + 0.04 * distance)
    value = np.clip(value, low, high)
    return np.round(value, 2) if target.type == "float" else np.round(value).astype("int64")


def _defect_columns(contract: Contract) -> dict[str, Column | None]:
    numeric = [c for c in contract.features if c.type in ("float", "int")]
    required = [c for c in numeric if not c.nullable]
    ranged = [c for c in numeric if c.max is not None]
    categories = [c for c in contract.features if c.type == "category"]
    return {
        "null": (required or [c for c in contract.features if not c.nullable] or [None])[0],
        "out_of_range": ranged[-1] if ranged else None,
        "unknown_category": categories[0] if categories else None,
        "wrong_type": numeric[0] if numeric else None,
    }


def inject_bad_rows(
    frame: pd.DataFrame, contract: Contract, *, count: int, rng: np.random.Generator, csv: bool
) -> tuple[pd.DataFrame, list[Defect]]:
    """Break `count` distinct rows, cycling through DEFECT_KINDS (skipping kinds the contract lacks)."""
    frame = frame.copy()
    columns = _defect_columns(contract)
    kinds = [k for k in DEFECT_KINDS if columns[k] is not None]
    if count > len(frame):
        raise ValueError(f"--bad-rows {count} exceeds the {len(frame)} rows of the first chunk")
    positions = np.sort(rng.choice(len(frame), size=count, replace=False))
    defects = []
    for i, position in enumerate(positions):
        kind = kinds[i % len(kinds)]
        column = columns[kind]
        name = column.name
        if kind == "null":
            frame[name] = frame[name].astype(object)
            frame.iloc[position, frame.columns.get_loc(name)] = None
        elif kind == "out_of_range":
            frame[name] = frame[name].astype(object)
            frame.iloc[position, frame.columns.get_loc(name)] = float(column.max) * 10 + 1
        elif kind == "unknown_category":
            frame.iloc[position, frame.columns.get_loc(name)] = UNKNOWN_CATEGORY
        else:
            frame[name] = frame[name].astype(object)
            frame.iloc[position, frame.columns.get_loc(name)] = WRONG_TYPE_VALUE
        defects.append(Defect(int(position), name, kind))
    if not csv and "wrong_type" in {d.kind for d in defects}:
        frame = stringify(frame, columns["wrong_type"].name)
    return frame, defects


def stringify(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Store one column as strings (parquet's way of holding a wrong-typed value); missing stays missing."""
    frame = frame.copy()
    values = frame[name].astype(object)
    frame[name] = values.map(str, na_action="ignore").where(values.notna(), None).astype(object)
    return frame


def _normalise_for_storage(frame: pd.DataFrame) -> pd.DataFrame:
    """Mixed object columns from defect injection: numbers stay numbers unless the column holds strings."""
    frame = frame.copy()
    for name in frame.columns:
        if frame[name].dtype == object:
            values = frame[name]
            if values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).any():
                continue
            frame[name] = pd.to_numeric(values, errors="coerce")
    return frame


def generate(
    contract: Contract,
    output: Path,
    *,
    rows: int,
    seed: int,
    bad_rows: int = 0,
    drift: float = 0.0,
    chunk_rows: int = 1_000_000,
) -> list[Defect]:
    """Write `rows` rows to `output` (.csv or .parquet) in chunks; returns the injected defects."""
    if not MIN_ROWS <= rows <= MAX_ROWS:
        raise ValueError(f"--rows must be between {MIN_ROWS} and {MAX_ROWS}, got {rows}")
    if not 0.0 <= drift <= 1.0:
        raise ValueError(f"--drift must be between 0 and 1, got {drift}")
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"{output}: the output must end in .csv or .parquet")
    output.parent.mkdir(parents=True, exist_ok=True)
    csv = suffix == ".csv"
    defects: list[Defect] = []
    wrong_type_column = None
    writer = None
    try:
        for index, start in enumerate(range(0, rows, chunk_rows)):
            rng = np.random.default_rng([seed, index])
            chunk = generate_chunk(
                contract, rows=min(chunk_rows, rows - start), rng=rng, start=start, drift=drift
            )
            if index == 0 and bad_rows:
                chunk, defects = inject_bad_rows(chunk, contract, count=bad_rows, rng=rng, csv=csv)
                wrong_type_column = next((d.column for d in defects if d.kind == "wrong_type"), None)
                chunk = _normalise_for_storage(chunk)
            elif wrong_type_column and not csv:
                chunk = stringify(chunk, wrong_type_column)
            if csv:
                chunk.to_csv(output, mode="w" if index == 0 else "a", header=index == 0, index=False)
            else:
                table = pa.Table.from_pandas(chunk, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(output, table.schema, compression="zstd")
                writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    return defects


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datascience.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--contract", type=Path, required=True, help="Dataset contract (contract.yml).")
    parser.add_argument("--output", type=Path, required=True, help="Output file, .csv or .parquet.")
    parser.add_argument("--rows", type=int, default=20_000, help=f"Rows to write ({MIN_ROWS}..{MAX_ROWS}).")
    parser.add_argument("--seed", type=int, default=42, help="Seed of the random streams.")
    parser.add_argument(
        "--bad-rows", type=int, default=0, help="Rows to break (nulls, ranges, categories, types)."
    )
    parser.add_argument(
        "--drift", type=float, default=0.0, help="Distribution shift 0..1 (distances, zones, hours)."
    )
    parser.add_argument(
        "--chunk-rows", type=int, default=1_000_000, help="Rows generated and written at a time."
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        contract = load_contract(args.contract)
        defects = generate(
            contract,
            args.output,
            rows=args.rows,
            seed=args.seed,
            bad_rows=args.bad_rows,
            drift=args.drift,
            chunk_rows=args.chunk_rows,
        )
    except (ContractError, ValueError) as error:
        print(f"generate: {error}", file=sys.stderr)
        return 2
    print(f"generate: wrote {args.rows} rows to {args.output}", file=sys.stderr)
    for defect in defects:
        print(f"  broken row {defect.row}: {defect.column} ({defect.kind})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
