"""`##vso[area.action key=value;...]message` logging commands written by steps."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMAND = re.compile(r"##vso\[([A-Za-z]+)\.([A-Za-z]+)([^\]]*)\](.*)$")
_ESCAPES = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%AZP25", "%"))


@dataclass(frozen=True)
class Command:
    area: str  # lower case, e.g. "task"
    action: str  # lower case, e.g. "setvariable"
    properties: dict[str, str]  # keys lower case
    message: str

    def flag(self, key: str) -> bool:
        return self.properties.get(key.lower(), "").strip().lower() == "true"


def _unescape(text: str) -> str:
    for code, char in _ESCAPES:
        text = text.replace(code, char)
    return text


def parse_line(line: str) -> Command | None:
    """The logging command in `line` (it may follow other text), or None."""
    start = line.find("##vso[")
    if start < 0:
        return None
    m = _COMMAND.match(line[start:].rstrip("\r\n"))
    if m is None:
        return None
    props: dict[str, str] = {}
    for part in m.group(3).strip().split(";"):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        props[key.strip().lower()] = _unescape(value.strip())
    return Command(m.group(1).lower(), m.group(2).lower(), props, _unescape(m.group(4)))
