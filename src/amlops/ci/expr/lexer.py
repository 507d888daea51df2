"""Tokens of an Azure Pipelines expression.

Literals: booleans (`true`/`false`, any case), `null`, numbers (leading `-`, `.` or digit; decimals,
exponents, `0x` hex), versions (2 to 4 dot-separated integers with at least two dots), strings in single
quotes with `''` for a quote. Punctuation: `( ) [ ] , .` and `*` (filtered arrays).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from amlops.errors import ConfigError


class ExpressionError(ConfigError):
    """A syntax or evaluation error in one expression; `column` is 1-based within the expression."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Token:
    kind: str  # string number version bool null ident punct
    value: Any
    pos: int  # 0-based offset
    raw: str = ""


_HEX = re.compile(r"-?0[xX][0-9a-fA-F]+")
_VERSION = re.compile(r"\d+\.\d+\.\d+(?:\.\d+)?")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_BOUNDARY = re.compile(r"[\s()\[\],.]|$")


class Version:
    """A version literal (`1.2.3`): compares segment by segment."""

    __slots__ = ("parts",)

    def __init__(self, text: str) -> None:
        pieces = text.split(".")
        if not 2 <= len(pieces) <= 4 or not all(p.isdigit() for p in pieces):
            raise ValueError(f"'{text}' is not a version")
        self.parts = tuple(int(p) for p in pieces)

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)

    def __repr__(self) -> str:
        return f"Version('{self}')"

    def key(self) -> tuple[int, ...]:
        return self.parts + (0,) * (4 - len(self.parts))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


def _end_ok(text: str, end: int) -> bool:
    return end >= len(text) or bool(_BOUNDARY.match(text, end))


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "'":
            j, parts = i + 1, []
            while True:
                k = text.find("'", j)
                if k < 0:
                    raise ExpressionError(
                        "unterminated string literal (a string starts with ' and ends with ')", i + 1
                    )
                parts.append(text[j:k])
                if k + 1 < n and text[k + 1] == "'":
                    parts.append("'")
                    j = k + 2
                    continue
                i = k + 1
                break
            tokens.append(Token("string", "".join(parts), i))
            continue
        if ch in "()[],*":
            tokens.append(Token("punct", ch, i))
            i += 1
            continue
        if ch == "." and not (
            i + 1 < n
            and text[i + 1].isdigit()
            and (not tokens or (tokens[-1].kind == "punct" and tokens[-1].value in "(,["))
        ):
            tokens.append(Token("punct", ".", i))
            i += 1
            continue
        if ch.isdigit() or ch in "-.":
            for kind, pattern in (("hex", _HEX), ("version", _VERSION), ("number", _NUMBER)):
                m = pattern.match(text, i)
                if (
                    m
                    and _end_ok(text, m.end())
                    and not (kind == "number" and m.end() < n and text[m.end()] == ".")
                ):
                    raw = m.group()
                    if kind == "hex":
                        value: Any = float(-int(raw[3:], 16) if raw.startswith("-") else int(raw[2:], 16))
                        tokens.append(Token("number", value, i))
                    elif kind == "version":
                        tokens.append(Token("version", Version(raw), i))
                    else:
                        tokens.append(Token("number", float(raw), i))
                    i = m.end()
                    break
            else:
                m = re.compile(r"[^\s()\[\],]+").match(text, i)
                raise ExpressionError(f"unexpected symbol '{m.group() if m else ch}'", i + 1)
            continue
        m = _IDENT.match(text, i)
        if m:
            word = m.group()
            low = word.lower()
            if low in ("true", "false"):
                tokens.append(Token("bool", low == "true", i, word))
            elif low == "null":
                tokens.append(Token("null", None, i, word))
            else:
                tokens.append(Token("ident", word, i))
            i = m.end()
            continue
        raise ExpressionError(f"unexpected symbol '{ch}'", i + 1)
    return tokens
