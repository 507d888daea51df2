"""The run's log: every line masked (secrets as `***`), kept and printed as it comes, from any thread."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Printer:
    def __init__(self, out: TextIO | None, log: list[str]) -> None:
        self.out = out if out is not None else sys.stdout
        self.log = log
        self.masks: set[str] = set()
        self.lock = threading.Lock()

    def mask(self, text: str) -> str:
        for secret in sorted(self.masks, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def __call__(self, line: str) -> None:
        line = self.mask(line)
        with self.lock:
            self.log.append(line)
            print(line, file=self.out, flush=True)
