"""Where output goes: the machine-readable result is one JSON line on stdout (always the last line);
everything for humans goes to stderr."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: write them as null so every consumer can parse the line."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json_line(result: Mapping[str, Any]) -> str:
    return json.dumps(_finite(dict(result)), default=_default, separators=(",", ":"), allow_nan=False)


def emit_result(result: Mapping[str, Any]) -> None:
    """Print the verb's result document as one JSON line on stdout."""
    sys.stdout.write(to_json_line(result) + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """One line for humans, on stderr."""
    from amlops.progress import console

    console().print(message, highlight=False)
