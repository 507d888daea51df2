"""Evaluate parsed expressions with the documented Azure Pipelines functions and type-casting rules.

Values are Python `None`, `bool`, `int`/`float` (numbers), `str`, `Version`, `list` and `dict`.
Comparisons convert the right operand to the type of the left one; strings compare ordinally ignoring
case. `eq`/`ne`/`in`/`notIn`/`containsValue` treat a failed conversion as "not equal"; `gt`/`ge`/`lt`/`le`
raise an error. Lookups in objects ignore case, like Azure DevOps dictionaries.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from amlops.ci.expr.lexer import ExpressionError, Version
from amlops.ci.expr.parser import parse

__all__ = [
    "Context",
    "ExpressionError",
    "Version",
    "evaluate",
    "evaluate_text",
    "lookup",
    "to_bool",
    "to_number",
    "to_string",
]


class _ConversionError(ExpressionError):
    """A value the conversion rules forbid; caught where a rule falls back, an `ExpressionError` where not."""


class FilteredArray(list):
    """The result of `.*`: property access applies to every item."""


@dataclass
class Context:
    """What an expression can see.

    `named`: the named values (`parameters`, `variables`, `dependencies`, loop variables, ...); names are
    looked up ignoring case, as everywhere in Azure Pipelines expressions.
    `status`: answers the status functions (`succeeded`, `failed`, ...) given the function name and its
    arguments; `None` where status functions are not allowed (template expressions).
    `counters`: the store of `counter()`; `None` where `counter` is not allowed.
    """

    named: Mapping[str, Any] = field(default_factory=dict)
    status: Callable[[str, tuple[str, ...]], bool] | None = None
    counters: dict[str, int] | None = None
    where: str = "this expression"


# ----------------------------------------------------------------------------------------------- types
def type_name(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, Version):
        return "Version"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, datetime):
        return "DateTime"
    return "Object"


def to_bool(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?$")


def to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        if _NUMBER_TEXT.match(text) and any(c.isdigit() for c in text):
            return float(text.replace(",", ""))
        return math.nan
    raise _ConversionError(f"cannot convert {type_name(value)} to Number")


def format_number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value))
    return text.upper() if "e" in text else text


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return format_number(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, Version):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise _ConversionError(f"cannot convert {type_name(value)} to String")


def to_version(value: Any) -> Version:
    if isinstance(value, Version):
        return value
    if isinstance(value, str):
        try:
            return Version(value.strip())
        except ValueError:
            raise _ConversionError(f"'{value}' is not a version") from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = format_number(float(value))
        if value > 0 and "." in text and not text.endswith(".0"):
            return Version(text)
    raise _ConversionError(f"cannot convert {type_name(value)} to Version")


def _convert_like(left: Any, right: Any) -> Any:
    """Convert `right` to the type of `left`; raise `_ConversionError` when the rules forbid it."""
    if left is None:
        if right is None or right == "":
            return None
        raise _ConversionError(f"cannot convert {type_name(right)} to Null")
    if isinstance(left, bool):
        return to_bool(right)
    if isinstance(left, (int, float)):
        return to_number(right)
    if isinstance(left, str):
        return to_string(right)
    if isinstance(left, Version):
        return to_version(right)
    return right


def _equal(left: Any, right: Any) -> bool:
    try:
        right = _convert_like(left, right)
    except _ConversionError:
        return False
    if left is None:
        return right is None
    if isinstance(left, str):
        return left.upper() == right.upper()
    if isinstance(left, (list, dict)):
        return left is right
    return left == right


def _compare(left: Any, right: Any, fn: str) -> int | None:
    """-1/0/1, or None when either side is NaN."""
    try:
        right = _convert_like(left, right)
    except _ConversionError as exc:
        raise ExpressionError(f"{fn}(): {exc}") from None
    if isinstance(left, str):
        a, b = left.upper(), right.upper()
    elif isinstance(left, Version):
        a, b = left.key(), right.key()
    elif isinstance(left, (bool, int, float)):
        a, b = float(left), float(right)
        if math.isnan(a) or math.isnan(b):
            return None
    elif left is None:
        return 0
    else:
        raise ExpressionError(f"{fn}(): cannot order values of type {type_name(left)}")
    return (a > b) - (a < b)


# ----------------------------------------------------------------------------------------------- lookup
def lookup(container: Any, key: Any) -> Any:
    """`container[key]` with Azure DevOps rules: case-insensitive keys, misses give null."""
    if isinstance(container, FilteredArray):
        out = FilteredArray()
        for item in container:
            found = lookup(item, key)
            if found is not None:
                out.extend(found) if isinstance(found, FilteredArray) else out.append(found)
        return out
    if isinstance(container, Mapping):
        if not isinstance(key, str):
            try:
                key = to_string(key)
            except _ConversionError:
                return None
        if key in container:
            return container[key]
        upper = key.upper()
        for k, v in container.items():
            if isinstance(k, str) and k.upper() == upper:
                return v
        getter = getattr(container, "missing", None)
        return getter(key) if getter is not None else None
    if isinstance(container, list):
        if isinstance(key, str):
            if key == "":
                return None
            number = to_number(key)
        elif isinstance(key, (int, float)) and not isinstance(key, bool):
            number = float(key)
        else:
            return None
        if math.isnan(number) or not number.is_integer():
            return None
        index = int(number)
        return container[index] if 0 <= index < len(container) else None
    return None


# ----------------------------------------------------------------------------------------------- functions
_Fn = Callable[["_Evaluator", tuple[Any, ...]], Any]
FUNCTIONS: dict[str, tuple[int, float, _Fn]] = {}


def _function(name: str, min_args: int, max_args: float = math.inf) -> Callable[[_Fn], _Fn]:
    def register(fn: _Fn) -> _Fn:
        FUNCTIONS[name.lower()] = (min_args, max_args, fn)
        return fn

    return register


@_function("and", 2)
def _and(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    return all(to_bool(ev.eval(a)) for a in args)


@_function("or", 2)
def _or(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    return any(to_bool(ev.eval(a)) for a in args)


@_function("not", 1, 1)
def _not(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    return not to_bool(ev.eval(args[0]))


@_function("xor", 2, 2)
def _xor(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    return to_bool(ev.eval(args[0])) != to_bool(ev.eval(args[1]))


@_function("eq", 2, 2)
def _eq(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    return _equal(ev.eval(args[0]), ev.eval(args[1]))


@_function("ne", 2, 2)
def _ne(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    return not _equal(ev.eval(args[0]), ev.eval(args[1]))


def _ordering(name: str, test: Callable[[int], bool]) -> None:
    def fn(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
        result = _compare(ev.eval(args[0]), ev.eval(args[1]), name)
        return result is not None and test(result)

    _function(name, 2, 2)(fn)


_ordering("gt", lambda c: c > 0)
_ordering("ge", lambda c: c >= 0)
_ordering("lt", lambda c: c < 0)
_ordering("le", lambda c: c <= 0)


@_function("in", 1)
def _in(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    left = ev.eval(args[0])
    return any(_equal(left, ev.eval(a)) for a in args[1:])


@_function("notIn", 1)
def _not_in(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    return not _in(ev, args)


def _strings(ev: _Evaluator, args: tuple[Any, ...], fn: str) -> list[str]:
    out = []
    for a in args:
        value = ev.eval(a)
        try:
            out.append(to_string(value))
        except _ConversionError:
            raise ExpressionError(
                f"{fn}(): cannot use {type_name(value)} where a string is expected"
            ) from None
    return out


@_function("contains", 2, 2)
def _contains(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    hay, needle = _strings(ev, args, "contains")
    return needle.upper() in hay.upper()


@_function("containsValue", 2, 2)
def _contains_value(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    collection, value = ev.eval(args[0]), ev.eval(args[1])
    if isinstance(collection, Mapping):
        items: Any = collection.values()
    elif isinstance(collection, list):
        items = collection
    else:
        return False
    return any(_equal(item, value) for item in items)


@_function("startsWith", 2, 2)
def _starts_with(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    text, prefix = _strings(ev, args, "startsWith")
    return text.upper().startswith(prefix.upper())


@_function("endsWith", 2, 2)
def _ends_with(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
    text, suffix = _strings(ev, args, "endsWith")
    return text.upper().endswith(suffix.upper())


@_function("lower", 1, 1)
def _lower(ev: _Evaluator, args: tuple[Any, ...]) -> str:
    return _strings(ev, args, "lower")[0].lower()


@_function("upper", 1, 1)
def _upper(ev: _Evaluator, args: tuple[Any, ...]) -> str:
    return _strings(ev, args, "upper")[0].upper()


@_function("trim", 1, 1)
def _trim(ev: _Evaluator, args: tuple[Any, ...]) -> str:
    return _strings(ev, args, "trim")[0].strip()


@_function("replace", 3, 3)
def _replace(ev: _Evaluator, args: tuple[Any, ...]) -> str:
    text, old, new = _strings(ev, args, "replace")
    return text.replace(old, new) if old else text


@_function("split", 2, 2)
def _split(ev: _Evaluator, args: tuple[Any, ...]) -> list[str]:
    text, delimiter = _strings(ev, args, "split")
    return text.split(delimiter) if delimiter else [text]


@_function("join", 2, 2)
def _join(ev: _Evaluator, args: tuple[Any, ...]) -> str:
    separator = _strings(ev, args[:1], "join")[0]
    items = ev.eval(args[1])
    if isinstance(items, list):
        parts = []
        for item in items:
            try:
                parts.append(to_string(item))
            except _ConversionError:
                parts.append("")
        return separator.join(parts)
    if isinstance(items, Mapping):
        return separator.join(str(k) for k in items)
    try:
        return to_string(items)
    except _ConversionError:
        return ""


@_function("length", 1, 1)
def _length(ev: _Evaluator, args: tuple[Any, ...]) -> int:
    value = ev.eval(args[0])
    if value is None:
        return 0
    if isinstance(value, (str, list, Mapping)):
        return len(value)
    raise ExpressionError(f"length(): expected a string, array or object but got {type_name(value)}")


@_function("coalesce", 2)
def _coalesce(ev: _Evaluator, args: tuple[Any, ...]) -> Any:
    for a in args:
        value = ev.eval(a)
        if value is not None and value != "":
            return value
    return None


@_function("iif", 3, 3)
def _iif(ev: _Evaluator, args: tuple[Any, ...]) -> Any:
    return ev.eval(args[1]) if to_bool(ev.eval(args[0])) else ev.eval(args[2])


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, (Version, datetime)):
        return to_string(value)
    return value


@_function("convertToJson", 1, 1)
def _convert_to_json(ev: _Evaluator, args: tuple[Any, ...]) -> str:
    return json.dumps(_json_ready(ev.eval(args[0])), indent=2, ensure_ascii=False)


_DATE_TOKENS = re.compile(r"yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|ffff|fff|ff|f|tt")


def _format_date(value: datetime, spec: str) -> str:
    def token(m: re.Match[str]) -> str:
        t = m.group()
        table = {
            "yyyy": f"{value.year:04d}",
            "yy": f"{value.year % 100:02d}",
            "MM": f"{value.month:02d}",
            "M": str(value.month),
            "dd": f"{value.day:02d}",
            "d": str(value.day),
            "HH": f"{value.hour:02d}",
            "H": str(value.hour),
            "hh": f"{(value.hour % 12) or 12:02d}",
            "h": str((value.hour % 12) or 12),
            "mm": f"{value.minute:02d}",
            "m": str(value.minute),
            "ss": f"{value.second:02d}",
            "s": str(value.second),
            "tt": "AM" if value.hour < 12 else "PM",
        }
        if t.startswith("f"):
            return f"{value.microsecond:06d}"[: len(t)]
        return table[t]

    return _DATE_TOKENS.sub(token, spec)


@_function("format", 1)
def _format(ev: _Evaluator, args: tuple[Any, ...]) -> str:
    template = _strings(ev, args[:1], "format")[0]
    values = [ev.eval(a) for a in args[1:]]
    out, i, n = [], 0, len(template)
    while i < n:
        ch = template[i]
        if ch == "{":
            if template.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            end = template.find("}", i)
            if end < 0:
                raise ExpressionError(f"format(): unclosed '{{' in '{template}'")
            spec = template[i + 1 : end]
            index_text, _, fmt = spec.partition(":")
            if not index_text.strip().isdigit():
                raise ExpressionError(f"format(): '{{{spec}}}' is not a placeholder like {{0}}")
            index = int(index_text)
            if index >= len(values):
                raise ExpressionError(
                    f"format(): placeholder {{{index}}} has no argument "
                    f"({len(values)} given after the format)"
                )
            value = values[index]
            if fmt and isinstance(value, datetime):
                out.append(_format_date(value, fmt))
            else:
                try:
                    out.append(to_string(value))
                except _ConversionError as exc:
                    raise ExpressionError(f"format(): {exc}") from None
            i = end + 1
            continue
        if ch == "}":
            if template.startswith("}}", i):
                out.append("}")
                i += 2
                continue
            raise ExpressionError(f"format(): unmatched '}}' in '{template}' (write '}}}}' for a brace)")
        out.append(ch)
        i += 1
    return "".join(out)


@_function("counter", 0, 2)
def _counter(ev: _Evaluator, args: tuple[Any, ...]) -> int:
    if ev.ctx.counters is None:
        raise ExpressionError("counter() is only allowed in runtime expressions ($[ ]) of variables")
    prefix = to_string(ev.eval(args[0])) if args else ""
    seed_value = ev.eval(args[1]) if len(args) > 1 else 0
    seed = int(to_number(seed_value)) if not math.isnan(to_number(seed_value)) else 0
    key = prefix.upper()
    value = ev.ctx.counters[key] + 1 if key in ev.ctx.counters else seed
    ev.ctx.counters[key] = value
    return value


STATUS_FUNCTIONS = ("always", "canceled", "failed", "succeeded", "succeededorfailed")


def _status(name: str) -> _Fn:
    def fn(ev: _Evaluator, args: tuple[Any, ...]) -> bool:
        if ev.ctx.status is None:
            raise ExpressionError(f"{name}() is only allowed in a condition")
        names = tuple(_strings(ev, args, name))
        return ev.ctx.status(name.lower(), names)

    return fn


for _name in ("always", "canceled", "failed", "succeeded", "succeededOrFailed"):
    _function(_name, 0)(_status(_name))


# ----------------------------------------------------------------------------------------------- evaluation
_ABSENT = object()


def named_value(named: Mapping[str, Any], name: str) -> Any:
    """The named value `name` (`parameters`, a loop variable...), ignoring case as Azure does, or _ABSENT."""
    if name in named:
        return named[name]
    key = name.lower()
    if key in named:
        return named[key]
    for k, v in named.items():
        if k.lower() == key:
            return v
    return _ABSENT


class _Evaluator:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def eval(self, node: Any) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "name":
            name = node[1]
            found = named_value(self.ctx.named, name)
            if found is not _ABSENT:
                return found
            known = ", ".join(sorted(self.ctx.named)) or "none"
            raise ExpressionError(
                f"unrecognized value '{name}' (values available in {self.ctx.where}: {known})", node[2]
            )
        if kind == "call":
            name, args, column = node[1], node[2], node[3]
            spec = FUNCTIONS.get(name.lower())
            if spec is None:
                raise ExpressionError(f"unknown function '{name}'", column)
            low, high, fn = spec
            if not low <= len(args) <= high:
                expected = (
                    f"exactly {low}"
                    if low == high
                    else f"at least {low}"
                    if high == math.inf
                    else f"{low} to {high}"
                )
                raise ExpressionError(f"{name}() takes {expected} argument(s), got {len(args)}", column)
            try:
                return fn(self, args)
            except ExpressionError as exc:
                if exc.column is None:
                    exc.column = column
                raise
        if kind == "prop":
            return lookup(self.eval(node[1]), node[2])
        if kind == "index":
            return lookup(self.eval(node[1]), self.eval(node[2]))
        if kind == "star":
            value = self.eval(node[1])
            if isinstance(value, Mapping):
                return FilteredArray(value.values())
            if isinstance(value, list):
                return FilteredArray(value)
            return FilteredArray()
        raise ExpressionError(f"internal: unknown node {kind}")


def evaluate(text: str, ctx: Context) -> Any:
    """Parse and evaluate one expression (the text inside `${{ }}`, `$[ ]`, or a condition)."""
    value = _Evaluator(ctx).eval(parse(text))
    if isinstance(value, FilteredArray):
        return list(value)
    return value


def evaluate_text(text: str, ctx: Context) -> str:
    """Evaluate and convert to a string (for string interpolation)."""
    value = evaluate(text, ctx)
    try:
        return to_string(value)
    except _ConversionError:
        raise ExpressionError(
            f"the expression gives an {type_name(value)}, which cannot be inserted into a string "
            "(use it as the whole value, or convertToJson())"
        ) from None
