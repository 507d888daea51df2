"""Where output goes: the machine-readable result is one JSON line on stdout (always the last line);
everything for humans goes to stderr."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amlops.ci_outputs import CiOutputs

# Set by `cli.main` when the command runs as a pipeline step: the step outputs to write with the result
# (at most one entry; a list so no `global` is needed).
_pending_ci_outputs: list[CiOutputs] = []


def configure_ci_outputs(ci: CiOutputs | None) -> None:
    """Write step outputs (see amlops.ci_outputs) with the next result emitted; None: write none."""
    _pending_ci_outputs.clear()
    if ci is not None:
        _pending_ci_outputs.append(ci)


def pending_ci_outputs() -> CiOutputs | None:
    """The pipeline step this command runs in (set by `cli.main`), or None: for verbs that also write a
    summary to the CI run page (`amlops.ci_outputs.write_summary`)."""
    return _pending_ci_outputs[0] if _pending_ci_outputs else None


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


def emit_result(result: Mapping[str, Any], *, failed: bool = False) -> None:
    """Print the verb's result document as one JSON line on stdout (the last line).

    In a pipeline step (`configure_ci_outputs`) the step outputs are written first, once per process: all the
    `--output` ones, or only `result` when `failed` (an error's result lacks the verb's keys). An `--output`
    key the result lacks raises UsageError (carrying the result) before anything is written.
    """
    line = to_json_line(result)
    if _pending_ci_outputs:
        from amlops.ci_outputs import write

        write(_pending_ci_outputs.pop(), json.loads(line), sys.stdout, only_result=failed)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """One line for humans, on stderr."""
    from amlops.progress import console

    console().print(message, highlight=False)
