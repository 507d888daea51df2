"""Contract-driven preprocessing shared by train, evaluate, score and batch_score.

Date-time handling happens here, before the model: the timestamp column is turned into the derived
numeric features the contract lists (`derive: [hour, weekday]`), so the sklearn pipeline and the ONNX
graph both see only plain numeric and string columns. The ONNX model therefore has one input tensor per
`Contract.model_inputs` entry (e.g. `pickup_datetime_hour`), float32 for numerics and string for
categoricals, each shaped [rows, 1].
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from datascience.contract import Column, Contract
from datascience.strict_json import BadNumber

MISSING_CATEGORY = "__missing__"
# Numeric model inputs are float32 tensors: larger magnitudes would reach the model as infinity.
MAX_MODEL_NUMBER = float(np.finfo(np.float32).max)
# A date and a time of day (seconds, fraction and UTC offset optional): a date alone, an ordinal or an ISO
# week date would silently become midnight.
_NAIVE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
DATETIME_TEXT = re.compile(_NAIVE + r"(?:Z|[+-]\d{2}:?\d{2})?")
_NAIVE_DATETIMES = re.compile(rf"(?:{_NAIVE}\n)*{_NAIVE}")  # values joined by newlines, no UTC offsets


def typed_frame(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Coerce every contract column present in `frame` to its contract type; uncoercible values become NA."""
    out = pd.DataFrame(index=frame.index)
    for column in contract.columns:
        if column.name in frame.columns:
            out[column.name] = coerce_column(frame[column.name], column)
    return out


def as_read(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The data as read, made checkable value by value (used by validate and batch scoring).

    Text is held as Python objects; in numeric and date-time columns each value that reads as the contract
    type is converted (a CSV column holding one bad cell is read as text) and the rest stay text, so the
    type check counts exactly the values that are not of the contract type. Nullable extension dtypes
    (Int64, Float64) become float64, which GX's type check understands.
    """
    columns = {c.name: c for c in contract.columns}
    return pd.DataFrame(
        {name: read_values(frame[name], columns.get(name)) for name in frame.columns}, index=frame.index
    )


def read_values(values: pd.Series, column: Column | None) -> pd.Series:
    """One column of `as_read`: `column` is its contract column, None for a column the contract lacks."""
    dtype = values.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_bool_dtype(dtype):
            return values.astype(object).where(values.notna(), None)
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return values
    values = values.astype(object).where(values.notna(), None)
    if column is None or column.type not in ("datetime", "float", "int"):
        return values
    parsed = to_datetimes(values) if column.type == "datetime" else pd.to_numeric(values, errors="coerce")
    return parsed.astype(object).where(parsed.notna(), values)


def coerce_column(values: pd.Series, column: Column) -> pd.Series:
    if column.type in ("float", "int"):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if column.type == "bool":
        mapped = values.map(_to_bool, na_action="ignore")
        return mapped.astype("float64")
    if column.type == "datetime":
        parsed = to_datetimes(values)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        return parsed
    present = values.notna()
    if isinstance(values.dtype, pd.StringDtype):  # text already: no str() per value
        return values.astype(object).where(present, None)
    return values.astype(object).map(str, na_action="ignore").where(present, None)


def to_datetimes(values: pd.Series) -> pd.Series:
    """Parse date-times; unparseable values become NaT. Where UTC offsets differ between rows (pandas
    refuses to mix them), each row keeps its own wall-clock time, as a single-row request would."""
    try:
        return pd.to_datetime(values, errors="coerce", format="mixed")
    except ValueError:
        return pd.to_datetime(values.map(_wall_time, na_action="ignore"), errors="coerce")


def _wall_time(value: Any) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _to_bool(value: Any) -> float:
    """1.0 / 0.0 for a boolean, its text, or a number already coerced (prep writes bool columns as 1.0 / 0.0,
    which train and evaluate coerce again); NaN for anything else."""
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, numbers.Real) and value in (0, 1):
        return float(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return 1.0
    if text in ("false", "0", "no"):
        return 0.0
    return math.nan


def derive(timestamps: pd.Series, part: str) -> pd.Series:
    """One derived feature of a date-time series: hour (0-23), weekday (0 = Monday) or month (1-12)."""
    accessor = timestamps.dt
    values = {"hour": accessor.hour, "weekday": accessor.day_of_week, "month": accessor.month}[part]
    return values.astype("float64")


def model_frame(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The model's input table: typed columns plus derived features, in `contract.model_inputs` order."""
    typed = typed_frame(frame, contract)
    out = pd.DataFrame(index=frame.index)
    for spec in contract.model_inputs:
        if spec.source not in typed.columns:
            raise KeyError(f"column {spec.source!r} is missing from the data")
        source = typed[spec.source]
        if spec.derived:
            out[spec.name] = derive(source, spec.derived)
        elif spec.kind == "numeric":
            out[spec.name] = source.astype("float64")
        else:
            out[spec.name] = source.where(source.notna(), MISSING_CATEGORY).astype(object)
    return out


def target_values(frame: pd.DataFrame, contract: Contract) -> np.ndarray:
    target = coerce_column(frame[contract.target], contract.target_column)
    if contract.task == "classification":
        return target.to_numpy(dtype=object)
    return target.to_numpy(dtype="float64")


def onnx_feed(frame: pd.DataFrame, contract: Contract) -> dict[str, np.ndarray]:
    """onnxruntime inputs for a `model_frame`: one [rows, 1] tensor per model input."""
    feed = {}
    for spec in contract.model_inputs:
        column = frame[spec.name]
        if spec.kind == "numeric":
            feed[spec.name] = column.to_numpy(dtype=np.float32).reshape(-1, 1)
        else:  # text already (`model_frame` fills missing values with MISSING_CATEGORY)
            feed[spec.name] = column.to_numpy(dtype=object).reshape(-1, 1)
    return feed


def records_feed(records: Sequence[Mapping[str, Any]], contract: Contract) -> dict[str, np.ndarray]:
    """onnxruntime inputs straight from scoring records that passed `record_problems`.

    The same values as `onnx_feed(model_frame(...))`, built without pandas: a one-row request spends
    microseconds here instead of the milliseconds a DataFrame round trip costs. Column by column; a
    date-time column is parsed once for all the features derived from it.
    """
    columns = {c.name: c for c in contract.columns}
    values = {
        name: [record.get(name) for record in records]
        for name in {spec.source for spec in contract.model_inputs}
    }
    stamps: dict[str, list[datetime | None]] = {}
    feed = {}
    for spec in contract.model_inputs:
        column, column_values = columns[spec.source], values[spec.source]
        if spec.derived:
            if spec.source not in stamps:
                stamps[spec.source] = [_moment(v) for v in column_values]
            part = _PARTS[spec.derived]
            numbers_ = [math.nan if stamp is None else part(stamp) for stamp in stamps[spec.source]]
            feed[spec.name] = np.asarray(numbers_, dtype=np.float32).reshape(-1, 1)
        elif spec.kind == "numeric":
            if column.type == "bool":
                numbers_ = [math.nan if _is_missing(v) else _to_bool(v) for v in column_values]
            else:  # numbers checked already: None is the only missing value besides NaN
                numbers_ = [math.nan if v is None else v for v in column_values]
            feed[spec.name] = np.asarray(numbers_, dtype=np.float32).reshape(-1, 1)
        else:
            texts = [
                v if type(v) is str else MISSING_CATEGORY if _is_missing(v) else str(v) for v in column_values
            ]
            feed[spec.name] = np.asarray(texts, dtype=object).reshape(-1, 1)
    return feed


_PARTS: dict[str, Callable[[datetime], float]] = {
    "hour": lambda stamp: float(stamp.hour),
    "weekday": lambda stamp: float(stamp.weekday()),
    "month": lambda stamp: float(stamp.month),
}


def _moment(value: Any) -> datetime | None:
    if _is_missing(value):
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def request_records(frame: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    """The rows of `frame` as scoring records: the contract's input columns only, each value in its JSON form
    (int, float, bool, str, ISO 8601 date-times with a time of day; missing values as None).

    Values are coerced to the contract types first, so the raw data and prep's typed splits (bools as
    1.0/0.0, integers as floats) give the same records."""
    typed = typed_frame(frame, contract)
    columns = [c for c in contract.input_columns if c.name in typed.columns]
    converted = {c.name: [_json_value(v, c) for v in typed[c.name].tolist()] for c in columns}
    return [{c.name: converted[c.name][row] for c in columns} for row in range(len(frame))]


def _json_value(value: Any, column: Column) -> Any:
    if _is_missing(value):
        return None
    if column.type == "int":
        return int(value)
    if column.type == "float":
        return float(value)
    if column.type == "bool":
        return bool(value)
    if column.type == "datetime":
        return pd.Timestamp(value).isoformat()
    return str(value)


@dataclass(frozen=True)
class Problem:
    """A value that breaks the contract in a scoring request or batch row."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, field {self.field!r}: {self.message}"


def record_problems(records: Iterable[Mapping[str, Any]], contract: Contract) -> list[Problem]:
    """Check scoring records against the contract: required fields, types, nulls, ranges, categories.

    The id and target columns may be present and are not checked; any other unknown field is a problem.
    Checked column by column (one checker per column, bounds parsed once); problems come out by row, and
    within a row: unknown fields, then the input columns in contract order.
    """
    problems: list[Problem] = []
    allowed = set(contract.names)
    rows: list[tuple[int, Mapping[str, Any]]] = []
    for row, record in enumerate(records):
        if type(record) is not dict and not isinstance(record, Mapping):
            problems.append(Problem(row, "", "each record must be a JSON object of column: value"))
            continue
        if not allowed.issuperset(record):
            unknown = (name for name in record if name not in allowed)
            problems.extend(Problem(row, str(name), "unknown field") for name in unknown)
        rows.append((row, record))
    for column in contract.input_columns:
        name = column.name
        values = [record.get(name, _ABSENT) for _, record in rows]
        if _all_plainly_fine(values, column):
            continue
        check = value_checker(column)
        for (row, _), value in zip(rows, values, strict=True):
            if value is _ABSENT:
                problems.append(Problem(row, name, "required field is missing"))
                continue
            message = check(value)
            if message:
                problems.append(Problem(row, name, message))
    problems.sort(key=lambda problem: problem.row)  # stable: the order within a row is kept
    return problems


_ABSENT = object()  # a field the record does not have (None is a JSON null)


def _all_plainly_fine(values: list[Any], column: Column) -> bool:
    """True when every value certainly fits `column`, decided column-wise (a large request's values are
    mostly plain); False means "look at each value", not that one is wrong."""
    if len(values) < 64:  # a few values: the per-value checks are as quick
        return False
    kinds = set(map(type, values))
    if type(None) in kinds:  # JSON nulls: fine in a nullable column, the rest is judged without them
        if not column.nullable:
            return False
        kinds.discard(type(None))
        values = [value for value in values if value is not None]
        if not values:
            return True
    if column.type in ("float", "int"):
        if not kinds <= ({int, float} if column.type == "float" else {int}):
            return False
        try:
            numbers_ = np.asarray(values, dtype="float64")
        except OverflowError:  # an integer beyond a float: let the per-value check say so
            return False
        low, high = number_bounds(column)
        return bool(np.all((numbers_ >= low) & (numbers_ <= high)))  # NaN compares False
    if column.type == "category":
        try:
            return kinds == {str} and set(values) <= frozenset(column.categories or ())
        except TypeError:
            return False
    if column.type == "string":
        return kinds == {str}
    if column.type == "bool":
        return kinds == {bool}
    if column.type == "datetime":  # naive ISO 8601 text, parsed in one go; anything else per value
        if kinds != {str} or not _NAIVE_DATETIMES.fullmatch("\n".join(values)):
            return False
        try:
            stamps = np.asarray(values, dtype="datetime64[us]")
        except ValueError:  # a day or an hour out of range: the per-value check says which
            return False
        first, last = datetime_bounds(column)
        return bool(np.all((stamps >= np.datetime64(first, "us")) & (stamps <= np.datetime64(last, "us"))))
    return False


def number_bounds(column: Column) -> tuple[float, float]:
    """The inclusive range of a numeric column's values: its min and max, within what a float32 model input
    holds."""
    low = -MAX_MODEL_NUMBER if column.min is None else max(float(column.min), -MAX_MODEL_NUMBER)
    high = MAX_MODEL_NUMBER if column.max is None else min(float(column.max), MAX_MODEL_NUMBER)
    return low, high


def datetime_bounds(column: Column) -> tuple[datetime, datetime]:
    """The inclusive range of a date-time column's values as wall times (datetime.min / max where the contract
    sets none)."""
    first, last = (
        datetime.fromisoformat(str(bound)).replace(tzinfo=None) if bound is not None else default
        for bound, default in ((column.min, datetime.min), (column.max, datetime.max))
    )
    return first, last


def value_checker(column: Column) -> Callable[[Any], str | None]:
    """`value_problem` for one column, with fast paths for the plain valid values of each type (bounds and
    categories prepared once); anything else goes to `value_problem`, the one source of the messages."""
    slow = partial(value_problem, column=column)
    if column.type in ("float", "int"):
        low, high = number_bounds(column)
        integral = column.type == "int"

        def number(value: Any) -> str | None:
            kind = type(value)
            plain = kind is int or (kind is float and (not integral or value.is_integer()))
            return None if plain and low <= value <= high else slow(value)

        return number
    if column.type == "category":
        allowed = frozenset(column.categories or ())
        return lambda value: None if type(value) is str and value in allowed else slow(value)
    if column.type == "string":
        return lambda value: None if type(value) is str else slow(value)
    if column.type == "bool":
        return lambda value: None if type(value) is bool else slow(value)
    if column.type == "datetime":
        first, last = datetime_bounds(column)

        def moment(value: Any) -> str | None:
            if type(value) is str and DATETIME_TEXT.fullmatch(value):
                try:
                    stamp = datetime.fromisoformat(value).replace(tzinfo=None)  # wall time, as value_problem
                except ValueError:
                    return slow(value)
                if first <= stamp <= last:
                    return None
            return slow(value)

        return moment
    return slow


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def value_problem(value: Any, column: Column) -> str | None:
    """Why `value` breaks the contract for `column`, or None when it is fine."""
    if isinstance(value, BadNumber):
        return str(value)
    if _is_missing(value):
        return None if column.nullable else "must not be null"
    if column.type in ("float", "int"):
        return _number_problem(value, column)
    if column.type == "bool":
        return None if isinstance(value, bool | np.bool_) else f"expected true/false, got {_shown(value)}"
    if column.type == "datetime":
        if isinstance(value, pd.Timestamp | datetime):
            stamp = pd.Timestamp(value)
        else:
            if not isinstance(value, str) or not DATETIME_TEXT.fullmatch(value):
                return f"expected an ISO 8601 date-time with a time of day, got {_shown(value)}"
            try:
                stamp = pd.Timestamp(datetime.fromisoformat(value))
            except ValueError as error:
                return f"expected an ISO 8601 date-time, got {_shown(value)} ({error})"
        return _range_problem(stamp.tz_localize(None) if stamp.tzinfo else stamp, column)
    if not isinstance(value, str):
        return f"expected a string, got {_shown(value)}"
    if column.categories is not None and value not in column.categories:
        return f"{_shown(value)} is not an allowed category"
    return None


def _number_problem(value: Any, column: Column) -> str | None:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return f"expected a number, got {_shown(value)}"
    if isinstance(value, int | np.integer):
        if abs(int(value)) > MAX_MODEL_NUMBER:
            return f"{_shown(value)} is out of range (a model input holds at most {MAX_MODEL_NUMBER:.3g})"
        return _range_problem(float(value), column)
    number = float(value)
    if not math.isfinite(number):
        return f"expected a finite number, got {value!r}"
    if abs(number) > MAX_MODEL_NUMBER:
        return f"{value!r} is out of range (a model input holds at most {MAX_MODEL_NUMBER:.3g})"
    if column.type == "int" and not number.is_integer():
        return f"expected an integer, got {value!r}"
    return _range_problem(number, column)


def _shown(value: Any, limit: int = 60) -> str:
    """`type value` for a message, long values cut in the middle."""
    text = repr(value)
    if len(text) > limit:
        text = f"{text[: limit // 2]}...{text[-limit // 4 :]} ({len(text)} characters)"
    return f"{type(value).__name__} {text}"


def _range_problem(value: Any, column: Column) -> str | None:
    low, high = column.min, column.max
    if column.type == "datetime":
        low = pd.Timestamp(low) if low is not None else None
        high = pd.Timestamp(high) if high is not None else None
    if low is not None and value < low:
        return f"{number_text(value, column)} is below the minimum {number_text(column.min, column)}"
    if high is not None and value > high:
        return f"{number_text(value, column)} is above the maximum {number_text(column.max, column)}"
    return None


def number_text(value: Any, column: Column) -> str:
    """A value or bound for a message: integers of an int column without the float's `.0`."""
    if column.type == "int" and isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
