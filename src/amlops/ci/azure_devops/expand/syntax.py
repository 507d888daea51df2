"""Check the syntax of every `${{ }}` in a file before any of it is expanded, as the service does.

Azure Pipelines parses the whole file when it loads it, so a malformed expression is fatal even in a
`${{ if }}` branch that is never taken. Directives (`if`, `elseif`, `else`, `each`, `insert`) are only
meaningful as mapping keys followed by `:`; written as a plain value (`- ${{ else }}`) they are an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from amlops.ci.azure_devops.expr import ExpressionError
from amlops.ci.azure_devops.expr.parser import parse
from amlops.ci.errors import PipelineError
from amlops.yamlsource import Loc, loc_of

_WHOLE = re.compile(r"^\s*\$\{\{(.*)\}\}\s*$", re.DOTALL)
_EACH = re.compile(r"^each\s+[A-Za-z_][A-Za-z0-9_]*\s+in\s+(.+)$", re.DOTALL)
DIRECTIVE_WORDS = ("if", "elseif", "else", "each", "insert")


def find_expressions(text: str) -> list[tuple[int, int]]:
    """Spans `(start, end)` of each `${{ ... }}` in `text`, honouring quoted strings inside."""
    spans, i = [], 0
    while True:
        start = text.find("${{", i)
        if start < 0:
            return spans
        j, in_string = start + 3, False
        while j < len(text):
            ch = text[j]
            if ch == "'":
                in_string = not in_string
            elif not in_string and text.startswith("}}", j):
                break
            j += 1
        else:
            raise ExpressionError("'${{' is not closed by '}}'")
        spans.append((start, j + 2))
        i = j + 2


class _Problem(Exception):
    """A syntax problem, with the whole message to show."""


def _spans(text: str) -> list[tuple[int, int]]:
    try:
        return find_expressions(text)
    except ExpressionError as exc:
        raise _Problem(f"error in '{text.strip()}': {exc.message}") from None


def _directive_word(inner: str) -> str | None:
    word = inner.split(None, 1)[0] if inner.strip() else ""
    return word if word in DIRECTIVE_WORDS else None


def _check_expression(inner: str) -> None:
    try:
        parse(inner)
    except ExpressionError as exc:
        column = f" (at column {exc.column})" if exc.column else ""
        raise _Problem(f"error in expression '{inner.strip()}': {exc.message}{column}") from None


def _check_key(text: str) -> None:
    m = _WHOLE.match(text)
    spans = _spans(text)
    if m is not None and len(spans) == 1:
        inner = m.group(1).strip()
        word = _directive_word(inner)
        if word in ("else", "insert"):
            if inner != word:
                raise _Problem(f"'${{{{ {word} }}}}' takes nothing after it, found '{inner}'")
            return
        if word in ("if", "elseif"):
            condition = inner[len(word) :].strip()
            if condition:  # an empty condition is reported, with an example, when expanded
                _check_expression(condition)
            return
        if word == "each":
            each = _EACH.match(inner)
            if each is not None:  # the wrong shape is reported, with the expected one, when expanded
                _check_expression(each.group(1))
            return
    _check_text(text, spans)


def _check_text(text: str, spans: list[tuple[int, int]]) -> None:
    for start, end in spans:
        _check_expression(text[start + 3 : end - 2])


def _check_value(text: str) -> None:
    spans = _spans(text)
    m = _WHOLE.match(text)
    if m is not None and len(spans) == 1:
        word = _directive_word(m.group(1).strip())
        if word is not None:
            raise _Problem(
                f"'{text.strip()}' is a directive and must be a mapping key followed by ':' "
                f"(write '{text.strip()}:')"
            )
    _check_text(text, spans)


def _strings(node: Any, loc: Loc | None) -> Iterator[tuple[str, bool, Loc | None]]:
    """(text, is_key, location) of every string containing `${{` under `node`."""
    if isinstance(node, str):
        if "${{" in node:
            yield node, False, loc
    elif isinstance(node, Mapping):
        locs = getattr(node, "locs", {})
        for key, value in node.items():
            kloc = locs.get(key, loc_of(node) or loc)
            if isinstance(key, str) and "${{" in key:
                yield key, True, kloc
            yield from _strings(value, kloc)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            iloc = node.loc_of(i) if hasattr(node, "loc_of") else loc
            yield from _strings(item, iloc or loc)


def check_file_syntax(doc: Any) -> None:
    """Raise `PipelineError` (with the line, without a template chain) at the first malformed `${{ }}`."""
    for text, is_key, loc in _strings(doc, loc_of(doc)):
        try:
            _check_key(text) if is_key else _check_value(text)
        except _Problem as exc:
            raise PipelineError(str(exc), loc) from None
