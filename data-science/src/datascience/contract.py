"""The dataset contract: the one module that reads and checks `contract.yml`.

Everything else (validation suite, preprocessing, model inputs, ONNX signature, request checks, drift,
sample data) asks the `Contract` object; no other module lists columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

COLUMN_TYPES = ("float", "int", "category", "datetime", "bool", "string")
ROLES = ("feature", "id", "timestamp", "target")
TASKS = ("regression", "classification")
DERIVABLE = ("hour", "weekday", "month")
NUMERIC_TYPES = ("float", "int", "bool")
CATEGORICAL_TYPES = ("category", "string")

_TOP_LEVEL_KEYS = {"name", "description", "task", "target", "columns"}
_COLUMN_KEYS = {"name", "type", "role", "nullable", "min", "max", "categories", "derive", "description"}


class ContractError(ValueError):
    """The contract file is malformed; the message names the offending key."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    role: str = "feature"
    nullable: bool = False
    min: float | str | None = None
    max: float | str | None = None
    categories: tuple[str, ...] | None = None
    derive: tuple[str, ...] = ()
    description: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_categorical(self) -> bool:
        return self.type in CATEGORICAL_TYPES


@dataclass(frozen=True)
class ModelInput:
    """One input of the model (and one ONNX input tensor): a feature column or a derived feature."""

    name: str
    kind: str  # "numeric" or "categorical"
    source: str  # the contract column it comes from
    derived: str | None = None  # hour / weekday / month when computed from a timestamp column


@dataclass(frozen=True)
class Contract:
    name: str
    task: str
    target: str
    columns: tuple[Column, ...]
    description: str = ""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def features(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == "feature")

    @property
    def target_column(self) -> Column:
        return self.column(self.target)

    @property
    def id_column(self) -> Column | None:
        return next((c for c in self.columns if c.role == "id"), None)

    @property
    def timestamp_column(self) -> Column | None:
        return next((c for c in self.columns if c.role == "timestamp"), None)

    @property
    def input_columns(self) -> tuple[Column, ...]:
        """Columns a scoring request must carry: the features and the timestamp (for derived features)."""
        return tuple(c for c in self.columns if c.role in ("feature", "timestamp"))

    @property
    def model_inputs(self) -> tuple[ModelInput, ...]:
        """Model inputs in a fixed order: numeric features, derived timestamp features, categoricals."""
        numeric = [ModelInput(c.name, "numeric", c.name) for c in self.features if c.is_numeric]
        ts = self.timestamp_column
        derived = (
            [ModelInput(f"{ts.name}_{part}", "numeric", ts.name, part) for part in ts.derive] if ts else []
        )
        categorical = [ModelInput(c.name, "categorical", c.name) for c in self.features if c.is_categorical]
        return (*numeric, *derived, *categorical)

    @property
    def classes(self) -> tuple[str, ...]:
        """Class labels of a classification target, in contract order."""
        return self.target_column.categories or ()


def load_contract(path: str | Path) -> Contract:
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ContractError(f"{path}: no such contract file") from error
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not valid YAML: {error}") from error
    return parse_contract(document, source=str(path))


def parse_contract(document: Any, *, source: str = "contract") -> Contract:
    if not isinstance(document, Mapping):
        raise ContractError(f"{source}: the contract must be a mapping")
    unknown = sorted(k for k in document if k not in _TOP_LEVEL_KEYS and not str(k).startswith("x-"))
    if unknown:
        raise ContractError(f"{source}: unknown key(s) {', '.join(map(str, unknown))}")
    for key in ("name", "task", "target", "columns"):
        if key not in document:
            raise ContractError(f"{source}: missing required key '{key}'")
    task = document["task"]
    if task not in TASKS:
        raise ContractError(f"{source}: task: {task!r} is not one of {', '.join(TASKS)}")
    target = document["target"]
    raw_columns = document["columns"]
    if not isinstance(raw_columns, list) or not raw_columns:
        raise ContractError(f"{source}: columns: must be a non-empty list")
    columns = tuple(
        _parse_column(raw, where=f"{source}: columns[{i}]", target=target)
        for i, raw in enumerate(raw_columns)
    )
    contract = Contract(
        name=str(document["name"]),
        task=task,
        target=str(target),
        columns=columns,
        description=str(document.get("description", "")),
    )
    _check_whole(contract, source)
    return contract


def _parse_column(raw: Any, *, where: str, target: Any) -> Column:
    if not isinstance(raw, Mapping):
        raise ContractError(f"{where}: each column must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ContractError(f"{where}.name: required, a non-empty string")
    where = f"{where} ({name})"
    unknown = sorted(set(raw) - _COLUMN_KEYS)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
    ctype = raw.get("type")
    if ctype not in COLUMN_TYPES:
        raise ContractError(f"{where}.type: {ctype!r} is not one of {', '.join(COLUMN_TYPES)}")
    is_target = name == target
    role = raw.get("role", "target" if is_target else "feature")
    if role not in ROLES:
        raise ContractError(f"{where}.role: {role!r} is not one of {', '.join(ROLES)}")
    if (role == "target") != is_target:
        raise ContractError(f"{where}.role: only the column named by 'target' has role target")
    nullable = raw.get("nullable", False)
    if not isinstance(nullable, bool):
        raise ContractError(f"{where}.nullable: must be true or false, got {nullable!r}")
    low, high = (_parse_bound(raw.get(k), ctype, f"{where}.{k}") for k in ("min", "max"))
    if low is not None and high is not None and _comparable(low) > _comparable(high):
        raise ContractError(f"{where}.min: {low!r} is greater than max {high!r}")
    categories = raw.get("categories")
    if categories is not None:
        if ctype != "category":
            raise ContractError(f"{where}.categories: only allowed for type category")
        if not isinstance(categories, list) or not categories:
            raise ContractError(f"{where}.categories: must be a non-empty list")
        categories = tuple(str(c) for c in categories)
        if len(set(categories)) != len(categories):
            raise ContractError(f"{where}.categories: contains duplicates")
    elif ctype == "category":
        raise ContractError(f"{where}.categories: required for type category")
    derive = raw.get("derive", [])
    if derive:
        if role != "timestamp":
            raise ContractError(f"{where}.derive: only allowed on the timestamp column")
        if not isinstance(derive, list) or any(d not in DERIVABLE for d in derive):
            raise ContractError(f"{where}.derive: must be a list drawn from {', '.join(DERIVABLE)}")
    if role == "timestamp" and ctype != "datetime":
        raise ContractError(f"{where}.type: the timestamp column must have type datetime")
    if ctype == "datetime" and role not in ("timestamp", "id"):
        raise ContractError(f"{where}.type: datetime columns must have role timestamp (use derive)")
    return Column(
        name=name,
        type=ctype,
        role=role,
        nullable=nullable,
        min=low,
        max=high,
        categories=categories,
        derive=tuple(derive),
        description=str(raw.get("description", "")),
    )


def _parse_bound(value: Any, ctype: str, where: str) -> float | str | None:
    if value is None:
        return None
    if ctype in ("float", "int"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ContractError(f"{where}: must be a number, got {value!r}")
        return float(value)
    if ctype == "datetime":
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        try:
            datetime.fromisoformat(text)
        except ValueError as error:
            raise ContractError(f"{where}: {value!r} is not an ISO 8601 date-time") from error
        return text
    raise ContractError(f"{where}: ranges apply to float, int and datetime columns only")


def _comparable(value: float | str) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _check_whole(contract: Contract, source: str) -> None:
    names = [c.name for c in contract.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ContractError(f"{source}: columns: duplicate name(s) {', '.join(duplicates)}")
    if contract.target not in names:
        raise ContractError(f"{source}: target: {contract.target!r} is not a declared column")
    target = contract.target_column
    if contract.task == "regression" and target.type not in ("float", "int"):
        raise ContractError(f"{source}: target: a regression target must be float or int, not {target.type}")
    if contract.task == "classification" and target.type != "category":
        raise ContractError(f"{source}: target: a classification target must be a category with categories")
    if target.nullable:
        raise ContractError(f"{source}: target: the target column cannot be nullable")
    for role in ("id", "timestamp"):
        if sum(c.role == role for c in contract.columns) > 1:
            raise ContractError(f"{source}: columns: at most one column may have role {role}")
    if not contract.model_inputs:
        raise ContractError(f"{source}: columns: the contract declares no feature columns")
    input_names = [m.name for m in contract.model_inputs]
    clashes = sorted({n for n in input_names if n in names and n not in {c.name for c in contract.features}})
    if clashes:
        raise ContractError(f"{source}: derived feature name(s) {', '.join(clashes)} clash with columns")
