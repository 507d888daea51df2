"""Variables of a run: case-insensitive, with secret and read-only flags, `$(macro)` substitution, and
their definition from the pipeline, stage and job `variables:` (groups from the local file, `$[ ]` runtime
expressions evaluated)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from amlops.ci.azure_devops.expr import Context, ExpressionError, evaluate
from amlops.ci.azure_devops.expr.evaluator import to_string
from amlops.ci.azure_devops.parse import Variable
from amlops.ci.errors import PipelineError
from amlops.yamlsource import Loc

MACRO = re.compile(r"\$\(([A-Za-z0-9_][A-Za-z0-9_.\- ]*)\)")


class Variables:
    """Case-insensitive variables with secret and read-only flags."""

    def __init__(self, parent: Variables | None = None) -> None:
        self._data: dict[str, tuple[str, str]] = dict(parent._data) if parent else {}
        self.secrets: set[str] = set(parent.secrets) if parent else set()
        self.readonly: set[str] = set(parent.readonly) if parent else set()

    def set(self, name: str, value: str, *, secret: bool = False, readonly: bool = False) -> None:
        key = name.upper()
        if key in self.readonly:
            return
        self._data[key] = (name, value)
        if secret:
            self.secrets.add(key)
        if readonly:
            self.readonly.add(key)

    def get(self, name: str) -> str | None:
        item = self._data.get(name.upper())
        return None if item is None else item[1]

    def as_dict(self) -> dict[str, str]:
        return dict(self._data.values())

    def secret_values(self) -> list[str]:
        return [self._data[k][1] for k in self.secrets if k in self._data and self._data[k][1]]

    def environment(self) -> dict[str, str]:
        return {
            re.sub(r"[.\s]", "_", name).upper(): value
            for key, (name, value) in self._data.items()
            if key not in self.secrets
        }

    def substitute(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            value = self.get(m.group(1).strip())
            return m.group(0) if value is None else value

        return MACRO.sub(one, text) if "$(" in text else text


def runtime_value(
    text: str, named: dict[str, Any], counters: dict[str, int], loc: Loc | None, what: str
) -> str:
    """`text` itself, or the value of the `$[ ]` runtime expression it is (`counter()` updates `counters`)."""
    stripped = text.strip()
    if not (stripped.startswith("$[") and stripped.endswith("]")):
        return text
    try:
        value = evaluate(stripped[2:-1], Context(named=named, counters=counters, where="runtime expressions"))
    except ExpressionError as exc:
        raise PipelineError(f"{what}: error in runtime expression '{stripped}': {exc.message}", loc) from None
    return (
        ""
        if value is None
        else to_string(value)
        if not isinstance(value, (dict, list))
        else json.dumps(value)
    )


def define(
    variables: Variables,
    items: tuple[Variable, ...],
    named: dict[str, Any],
    where: str,
    *,
    var_groups: Mapping[str, Mapping[str, Any]],
    counters: dict[str, int],
) -> None:
    """Set a scope's `variables:` items in order: a group's values from `var_groups`, else the value
    (a runtime expression evaluated, macros substituted)."""
    for item in items:
        if item.group is not None:
            group = var_groups.get(item.group)
            if group is None:
                raise PipelineError(
                    f"variable group '{item.group}' has no local values: list it in a --var-groups file "
                    "(a YAML mapping of group name to variables)",
                    item.loc,
                )
            for name, value in group.items():
                variables.set(str(name), to_string(value))
            continue
        value = runtime_value(
            item.value,
            {**named, "variables": variables.as_dict()},
            counters,
            item.loc,
            f"variable '{item.name}' of {where}",
        )
        variables.set(item.name, variables.substitute(value), readonly=item.readonly)
