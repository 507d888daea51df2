"""CI glue lives once, in the tool: a step's script is the amlops verb call and nothing else.

Every script under templates/ (Azure DevOps `bash:`/`script:`/`inlineScript:`, GitHub `run:`) is checked:
- nowhere inline Python (`python -c`, `python3 -c`, a heredoc fed to python) or JSON parsing (`json.loads`,
  `json.load`, `jq`): a verb prints its result and writes the step outputs itself (`amlops --output`);
- in the steps that call amlops, every command is `uv run --frozen amlops ...` (after `set -euo pipefail`).
The tool steps below run other tools by design (installing uv and az, ruff, pytest, terraform/bicep and the
offline infrastructure checks, the Azure sign-in); for them only the first rule applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*.yml") if "testdata" not in p.parts)
SCRIPT_KEYS = {"bash", "script", "run", "inlineScript", "pwsh", "powershell"}
# step -> why it may run commands other than amlops
TOOL_STEPS = {
    "install-cli": "installs uv, syncs the locked environment, verifies or installs azure-cli",
    "check-code": "runs ruff (through uv) on the project's paths",
    "run-tests": "runs pytest (through uv) with the JUnit file",
    "plan-infrastructure": "terraform / az deployment, or the offline infrastructure checks",
    "apply-infrastructure": "terraform / az deployment, or the offline infrastructure checks",
    "connect-workspace": "the Azure sign-in: exports the workspace coordinates for later steps",
}
FORBIDDEN = {
    "inline Python": re.compile(
        r"\bpython3?(\.\d+)?\s+(-\w*c\b|-\s*<<|<<)|<<-?\s*['\"]?\w+['\"]?\s*\|\s*python"
    ),
    "JSON parsing": re.compile(r"\bjson\.loads?\b|(^|[|;&(\s])jq(\s|$)"),
}
STRICT = "set -euo pipefail"
VERB_CALL = re.compile(r"^uv run --frozen amlops( |$)")


def _step_name(path: Path) -> str:
    return path.parent.name if path.name == "action.yml" else path.stem


def _scripts(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCRIPT_KEYS and isinstance(value, str):
                yield value
            else:
                yield from _scripts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _scripts(item)


def commands(script: str) -> list[str]:
    """The script's commands: continuation lines joined, blank lines and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", TEMPLATES, ids=_id)
def test_no_inline_python_or_json_parsing(path: Path) -> None:
    for script in _scripts(yaml.safe_load(path.read_text(encoding="utf-8"))):
        for what, pattern in FORBIDDEN.items():
            for line in commands(script):
                assert not pattern.search(line), f"{_id(path)}: {what} in a script: {line!r}"


VERB_STEPS = [p for p in TEMPLATES if p.parent.name == "steps" or p.name == "action.yml"]
VERB_STEPS = [p for p in VERB_STEPS if _step_name(p) not in TOOL_STEPS]


@pytest.mark.parametrize("path", VERB_STEPS, ids=_id)
def test_a_verb_step_script_is_the_verb_call(path: Path) -> None:
    scripts = list(_scripts(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert scripts, f"{_id(path)}: no script found"
    for script in scripts:
        lines = commands(script)
        assert lines[0] == STRICT, f"{_id(path)}: a script starts with {STRICT!r}"
        calls = lines[1:]
        assert len(calls) == 1, f"{_id(path)}: one verb call expected, got {calls}"
        assert VERB_CALL.match(calls[0]), f"{_id(path)}: not an amlops call: {calls[0]!r}"


def test_the_tool_steps_exist() -> None:
    names = {_step_name(p) for p in TEMPLATES}
    assert set(TOOL_STEPS) <= names


@pytest.mark.parametrize(
    "line",
    [
        "python3 -c 'import json'",
        "uv run --frozen python -c 'x'",
        "python - <<'EOF'",
        "cat <<EOF | python3",
        "az version | jq -r .x",
        "x = json.loads(s)",
    ],
)
def test_the_patterns_catch_what_they_forbid(line: str) -> None:
    assert any(pattern.search(line) for pattern in FORBIDDEN.values()), line


def test_the_patterns_leave_ordinary_commands_alone() -> None:
    for line in (
        "uv run --frozen amlops --output settings=settings validate-config dev",
        "echo jquery",
        "jq_x=1",
    ):
        assert not any(pattern.search(line) for pattern in FORBIDDEN.values()), line
