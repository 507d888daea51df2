"""Mermaid's own parser (tools/mermaid, npm), run in Node, for tests of the diagrams amlops writes.

`parse(texts)` returns, per diagram, what `tools/mermaid/check.mjs` prints: `{"ok": False, "error"}` or
`{"ok": True, "type", "vertices", "edges", "subgraphs"}` with the labels as Mermaid will show them.
Skips the test when Node is missing; fails it when the tool is not installed (`make tools`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "mermaid"


def parse(texts: Sequence[str]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: Mermaid's parser (npm) cannot run")
    if not (TOOL / "node_modules" / "mermaid").is_dir():
        pytest.fail("tools/mermaid is not installed: run `make tools` (npm ci in tools/mermaid)")
    done = subprocess.run(
        [node, str(TOOL / "check.mjs")],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode not in (0, 1):
        pytest.fail(f"tools/mermaid/check.mjs failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)
