"""Strict JSON for scoring requests: every way a body can be hostile ends in one `BodyError`.

`loads(text)` differs from `json.loads` in what it refuses or marks, never in what it accepts otherwise:
- a key twice in one object (`{"a": 1, "a": 2}`; json.loads keeps the last) -> BodyError naming the key;
- nesting deeper than `MAX_DEPTH` -> BodyError (json.loads recurses: 10,000 levels raise RecursionError,
  which its C scanner raises safely at about 1,000 levels; anything shallower is measured after parsing);
- numbers no model input can hold do not raise (OverflowError, Python's integer digit limit): they become
  `BadNumber` markers, so the contract check reports them by row and field. Integers with more than
  `MAX_INT_DIGITS` digits, floats that overflow to infinity (`1e309`) and the non-JSON constants `NaN`,
  `Infinity`, `-Infinity` are marked.
Pure functions; no I/O.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
MAX_INT_DIGITS = 20  # 2**64 has 20 digits; anything longer is beyond every numeric model input
_SHOWN = 24  # characters of an offending number quoted in a message


class BodyError(ValueError):
    """The body is not strict JSON; `field` names the key concerned when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BadNumber:
    """A JSON number (or NaN/Infinity constant) that no numeric model input can hold."""

    text: str
    reason: str

    def __str__(self) -> str:
        shown = self.text if len(self.text) <= _SHOWN else f"{self.text[:10]}...{self.text[-10:]}"
        return f"{shown} {self.reason}"


def nesting(value: Any, *, stop: int) -> int:
    """How deep arrays and objects nest in a parsed value (a scalar is 0), counted up to `stop`."""
    containers = frozenset((dict, list))  # what json.loads makes: exact types, so `type(...) in` is enough
    deepest = 0
    stack = [(value, 1)] if type(value) in containers else []
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest >= stop:
                break
        children = node.values() if type(node) is dict else node
        if containers.isdisjoint(map(type, children)):  # scalars only, as a request's records mostly are
            continue
        below = depth + 1
        stack.extend((child, below) for child in children if type(child) in containers)
    return deepest


def _parse_int(text: str) -> int | BadNumber:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return BadNumber(text, f"is an integer of {digits} digits, out of range")
    return int(text)


def _parse_float(text: str) -> float | BadNumber:
    value = float(text)
    if not math.isfinite(value):
        return BadNumber(text, "overflows a 64-bit float")
    return value


def _parse_constant(text: str) -> BadNumber:
    return BadNumber(text, "is not a JSON number (NaN and Infinity are not allowed)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: find the first key seen twice
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BodyError(f"duplicate key {key!r} in a JSON object", field=key)
            seen.add(key)
    return out


def loads(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `text` strictly (see the module docstring); BodyError says what is wrong and where."""
    too_deep = f"the body nests arrays/objects more than {max_depth} levels deep"
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as error:
        raise BodyError(f"the body is not valid JSON: {error.msg} at position {error.pos}") from None
    except RecursionError:  # the C scanner's own guard, around 1,000 levels: no stack is at risk
        raise BodyError(too_deep) from None
    if nesting(value, stop=max_depth + 1) > max_depth:
        raise BodyError(too_deep)
    return value
