"""Contract checks of a whole table, column by column (batch scoring).

The verdicts and messages are `features.record_problems`' for the table's rows as read (`features.as_read`),
without a dict per row: each column is tested with vectorised operations for the values that are plainly
fine (numbers in range, known categories, date-times in range, allowed nulls), and only the rest go
through the per-value checker, which is the one source of the messages. A row's error is its first
problem in `record_problems`' order: an unknown column, then the input columns in contract order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datascience.contract import Column, Contract
from datascience.features import number_bounds, read_values, to_datetimes, value_checker


def row_errors(frame: pd.DataFrame, contract: Contract) -> np.ndarray:
    """Per row of `frame`, `"field: message"` for its first problem, or None when it fits the contract."""
    errors = np.full(len(frame), None, dtype=object)
    unknown = [name for name in frame.columns if name not in contract.names]
    if unknown:  # every row of the table carries the unknown column
        errors[:] = f"{unknown[0]}: unknown field"
        return errors
    for column in contract.input_columns:
        pending = np.equal(errors, None)
        if not pending.any():
            break
        if column.name not in frame.columns:
            errors[pending] = f"{column.name}: required field is missing"
            continue
        values = read_values(frame[column.name], column)
        suspects = np.flatnonzero(pending & ~plainly_fine(values, column))
        if not len(suspects):
            continue
        check = value_checker(column)
        for row, value in zip(suspects, values.iloc[suspects].tolist(), strict=True):
            message = check(value)
            if message:
                errors[row] = f"{column.name}: {message}"
    return errors


def plainly_fine(values: pd.Series, column: Column) -> np.ndarray:
    """True where a value of `values` (as read) certainly fits `column`; False where it needs a closer look.

    False is not a verdict: the per-value checker decides for those (a text column holding a number, for
    instance, is all False here)."""
    missing = values.isna().to_numpy()
    allowed_missing = missing & column.nullable
    dtype = values.dtype
    if column.type in ("float", "int"):
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            return allowed_missing
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        low, high = number_bounds(column)
        with np.errstate(invalid="ignore"):
            fine = (numbers >= low) & (numbers <= high)  # NaN and infinities compare False
            if column.type == "int":
                fine = fine & (np.floor(numbers) == numbers)
        return fine | allowed_missing
    if column.type == "category":
        return values.isin(column.categories or ()).to_numpy() | allowed_missing
    if column.type in ("string", "bool"):
        typed = (
            isinstance(dtype, pd.StringDtype)
            if column.type == "string"
            else pd.api.types.is_bool_dtype(dtype)
        )
        return (~missing if typed else np.zeros(len(values), dtype=bool)) | allowed_missing
    if column.type == "datetime":
        # Text that reads as a date-time is held as a Timestamp among the text (object dtype): read it again.
        stamps = values if pd.api.types.is_datetime64_any_dtype(dtype) else to_datetimes(values)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        fine = stamps.notna().to_numpy()
        if column.min is not None:
            fine = fine & ((stamps >= pd.Timestamp(column.min)).to_numpy())
        if column.max is not None:
            fine = fine & ((stamps <= pd.Timestamp(column.max)).to_numpy())
        return fine | allowed_missing
    return allowed_missing
