"""The CI runner (`amlops.ci`) runs pipelines and knows nothing of MLOps: the lifecycle's events, paths and
verbs live above it (`amlops.lifecycle`). Its source names none of them."""

from __future__ import annotations

import re
from pathlib import Path

import amlops.ci

CI = Path(amlops.ci.__file__).parent
# The lifecycle's own words: its event names (both spellings), its state and the ML lifecycle's objects.
MLOPS_WORDS = re.compile(
    r"model-registered|modelRegistered|AMLOPS_STATE_DIR|amlops\.lifecycle|champion|mlflow", re.IGNORECASE
)


def _code(path: Path) -> list[tuple[int, str]]:
    """Lines of a module outside its docstrings and comments are what matters; prose may explain."""
    lines = []
    in_docstring = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        quotes = stripped.count('"""')
        if in_docstring or stripped.startswith('"""'):
            if quotes % 2 == 1:
                in_docstring = not in_docstring
            continue
        lines.append((number, line.split("#", 1)[0]))
    return lines


def test_the_ci_runner_names_no_lifecycle_event_or_state() -> None:
    modules = sorted(CI.rglob("*.py"))
    assert len(modules) > 20  # the whole runner is scanned, not an empty folder
    found = [
        f"{path.relative_to(CI.parent)}:{number}: {line.strip()}"
        for path in modules
        for number, line in _code(path)
        if MLOPS_WORDS.search(line)
    ]
    assert found == []


def test_the_scan_sees_a_lifecycle_word_where_there_is_one(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    source = '"""About model-registered."""\nEVENT = "model-registered"  # the event\n'
    module.write_text(source, encoding="utf-8")
    assert [(n, bool(MLOPS_WORDS.search(line))) for n, line in _code(module)] == [(2, True)]
