"""The text of a node or cluster as lines, shared by both renderers so they show the same words.

The label comes first, then the details, then the condition as `if: ...`; each is wrapped at
`LINE_CHARS` characters on spaces (a longer word is cut). `text_width` estimates how wide a line is drawn
in a sans-serif font, generously, since the SVG is drawn without measuring fonts.
"""

from __future__ import annotations

import re
from typing import Literal

from amlops.graph.model import Cluster, Node

LINE_CHARS = 36
LineKind = Literal["label", "detail", "condition"]

_NARROW = frozenset("iljtfrI.,:;'|!()[]{} `")
_WIDE = frozenset("mwMW@%&")


def _pieces(word: str, width: int) -> list[str]:
    """A word longer than `width` in parts ending at `/` or `@` (a part still too long is cut anywhere)."""
    if len(word) <= width:
        return [word]
    pieces: list[str] = []
    for part in (part for part in re.split(r"(?<=[/@])", word) if part):
        pieces.extend(part[start : start + width] for start in range(0, len(part), width))
    return pieces


def wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    """`text` as lines of at most `width` characters (its own line breaks kept; never no line). Lines
    break at spaces; a word too long for a line is cut after a path separator where it has one."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            for index, piece in enumerate(_pieces(word, width)):
                glue = " " if index == 0 and current else ""
                if current and len(current) + len(glue) + len(piece) > width:
                    lines.append(current)
                    current = piece
                else:
                    current += glue + piece
        lines.append(current)
    return lines


def lines_of(item: Node | Cluster, width: int = LINE_CHARS) -> list[tuple[LineKind, str]]:
    """The lines drawn for `item`, each with what it is."""
    lines: list[tuple[LineKind, str]] = [("label", line) for line in wrap(item.label, width)]
    for detail in item.details:
        lines.extend(("detail", line) for line in wrap(detail, width))
    if item.condition is not None:
        lines.extend(("condition", line) for line in wrap(f"if: {item.condition}", width))
    return lines


def text_width(text: str, font_size: float) -> float:
    """An upper estimate of the drawn width of `text` (sans-serif, `font_size` pixels)."""
    total = 0.0
    for char in text:
        if char in _NARROW:
            total += 0.36
        elif char in _WIDE:
            total += 0.92
        elif char.isupper():
            total += 0.74
        else:
            total += 0.62
    return total * font_size
