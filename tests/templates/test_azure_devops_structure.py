"""Azure DevOps templates document exactly what they declare; every parameter is typed; enums list values.
(The public JSON schema rejects valid `${{ if }}` blocks, so the structure is checked here.)"""

import re
import subprocess
import sys
from pathlib import Path

import contract_check
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates/azure-devops").glob("*/*.yml"))
PIPELINES = sorted((ROOT / "pipelines/azure-devops").glob("*.yml"))
TYPES = {
    "string",
    "number",
    "boolean",
    "object",
    "step",
    "stepList",
    "job",
    "jobList",
    "deployment",
    "deploymentList",
    "stage",
    "stageList",
}
HEADER_LINE = re.compile(r"^#\s+(\w+) \((Required|Optional), (\w+)(?:, (.*?))?\) \S")


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def header(path: Path) -> tuple[list[str], dict[str, tuple[str, str, str | None]]]:
    """The leading comment block and the documented parameters: name -> (presence, type, default)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    documented = {}
    for line in lines:
        match = HEADER_LINE.match(line)
        if match:
            documented[match.group(1)] = (match.group(2), match.group(3), match.group(4))
    return lines, documented


def check_template(path: Path) -> list[str]:
    problems = []
    lines, documented = header(path)
    if len(lines) < 2 or not lines[0].startswith("# ") or HEADER_LINE.match(lines[0]):
        problems.append(f"{_id(path)}:1: header must open with one line of purpose")
    if not any(line.lower().startswith("# outputs") for line in lines):
        problems.append(f"{_id(path)}:1: header does not document outputs (say `# Outputs: none`)")
    document = contract_check.load(path)
    declared = contract_check.declared_parameters(document) or {}
    for item in document.get("parameters") or []:
        where = f"{_id(path)}:{item.line}: parameter '{item.get('name')}'"
        if item.get("type") not in TYPES:
            problems.append(f"{where} has no valid type")
    for name, parameter in declared.items():
        where = f"{_id(path)}: parameter '{name}'"
        if name not in documented:
            problems.append(f"{where} is not documented in the header")
            continue
        presence, kind, default = documented[name]
        if presence != ("Required" if parameter.required else "Optional"):
            problems.append(f"{where} documented as {presence}")
        if kind != parameter.type:
            problems.append(f"{where} documented as {kind}, declared {parameter.type}")
        if not parameter.required:
            shown = yaml.safe_load(default) if default is not None else None
            if shown != parameter.default and str(shown) != str(parameter.default):
                problems.append(f"{where} documented default {default!r}, declared {parameter.default!r}")
    for name in documented:
        if name not in declared:
            problems.append(f"{_id(path)}: header documents '{name}', which is not declared")
    return problems


@pytest.mark.parametrize("path", TEMPLATES, ids=_id)
def test_template_header_documents_exactly_its_parameters(path):
    problems = check_template(path)
    assert not problems, "\n".join(problems)


def test_header_check_catches_an_undocumented_and_a_wrongly_documented_parameter(tmp_path):
    path = tmp_path / "t.yml"
    path.write_text(
        "# Purpose.\n#   a (Optional, string, x) meaning\n#   gone (Required, string) meaning\n"
        "# Outputs: none\n"
        "parameters:\n  - name: a\n    type: string\n    default: y\n  - name: b\n    type: string\n"
        "  - name: c\nsteps: []\n"
    )
    problems = "\n".join(check_template_at(path, tmp_path))
    assert "'a' documented default 'x'" in problems
    assert "'b' is not documented" in problems
    assert "t.yml:11: parameter 'c' has no valid type" in problems
    assert "documents 'gone'" in problems


def check_template_at(path: Path, root: Path) -> list[str]:
    global ROOT  # noqa: PLW0603 - the helpers name files relative to ROOT
    saved, ROOT = ROOT, root
    try:
        return check_template(path)
    finally:
        ROOT = saved


@pytest.mark.parametrize("path", TEMPLATES, ids=_id)
def test_enum_parameters_declare_values(path):
    for item in contract_check.load(path).get("parameters") or []:
        if item["name"] in ("backend", "tool", "environment") and item.get("type") == "string":
            assert item.get("values") or "default" not in item or item["name"] == "environment", (
                f"{_id(path)}:{item.line}: '{item['name']}' is an enum: declare values"
            )
        if item["name"] == "backend":
            assert item.get("values") == ["local", "azure"], f"{_id(path)}:{item.line}"


def _calls_amlops(path: Path) -> bool:
    """A step template whose scripts run the amlops CLI (comments that mention it do not count)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return re.search(r"\bamlops (?:--|[a-z])", code) is not None and "steps" in path.parent.name


@pytest.mark.parametrize("path", [p for p in TEMPLATES if _calls_amlops(p)], ids=_id)
def test_steps_that_call_amlops_take_the_backend_and_pass_it_by_env(path):
    text = path.read_text(encoding="utf-8")
    assert "name: backend" in text
    assert "AMLOPS_BACKEND: ${{ parameters.backend }}" in text


@pytest.mark.parametrize("path", PIPELINES, ids=_id)
def test_pipeline_parses_and_uses_only_library_templates(path):
    document = contract_check.load(path)
    references = [node["template"] for node in contract_check._walk(document) if "template" in node]
    assert references
    for reference in references:
        assert reference.endswith("@templates") or reference.startswith("../config/"), reference


EXPAND = ROOT / "src/amlops/lifecycle/commands_expand.py"


@pytest.mark.skipif(
    not EXPAND.exists(), reason="`amlops expand` (src/amlops/lifecycle/commands_expand.py) not there yet"
)
@pytest.mark.parametrize("path", PIPELINES, ids=_id)
def test_pipeline_expands_with_the_local_runner(path):
    extra = ["--param", "modelVersion=1"] if path.name == "deploy-model.yml" else []
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "amlops.cli",
            "expand",
            str(path),
            "--repo",
            "templates=templates/azure-devops",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
