"""Contract check over a tree of pipelines and templates, reporting `file:line: message` per violation.

Azure DevOps: every `template:` reference resolves (relative path, `@templates` -> templates/azure-devops/,
`@self` -> the tree root); every call site passes only declared parameters, all required ones, with values of
the declared type (and in `values:` for enums). Values that are expressions (`${{ }}`, `$( )`, `$[ ]`) are
only known at run time and are not type-checked.

GitHub: every `uses: ./...` resolves to a composite action or a reusable workflow (`on: workflow_call`) and
passes only declared inputs (and secrets), all required ones, with literal values of the declared type;
every other `uses:` is pinned to a 40-hex commit SHA with a `# vX...` comment on the same line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amlops.yamlsource import PIPELINES, YMap, load_file

AZURE_DEVOPS_TEMPLATES = Path("templates/azure-devops")
EXPRESSION = re.compile(r"\$\{\{|\$\(|\$\[")
PARAMETER_REF = re.compile(r"\$\{\{\s*parameters\.(\w+)\s*\}\}")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*")


@dataclass(frozen=True, order=True)
class Violation:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def load(path: Path) -> Any:
    """Parse a YAML file as the pipelines read it, keeping line numbers (`amlops.yamlsource`)."""
    return load_file(path, schema=PIPELINES)


def _line_of(node: Any, key: str, default: int) -> int:
    """The line of `key` in a loaded mapping, else `default`."""
    line = node.line_of(key) if isinstance(node, YMap) and key in node else None
    return line if line is not None else default


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and bool(EXPRESSION.search(value))


class _Report:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.violations: list[Violation] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.violations.append(Violation(path.relative_to(self.root).as_posix(), line, message))


# ---------------------------------------------------------------------------------------------- Azure DevOps


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    default: Any
    values: tuple[Any, ...] | None


def declared_parameters(document: Any) -> dict[str, Parameter] | None:
    """The template's `parameters:` list, or None when it declares none (e.g. a variable template)."""
    if not isinstance(document, dict) or not isinstance(document.get("parameters"), list):
        return None
    result = {}
    for item in document["parameters"]:
        if isinstance(item, dict) and "name" in item:
            values = item.get("values")
            result[item["name"]] = Parameter(
                name=item["name"],
                type=str(item.get("type", "")),
                required="default" not in item,
                default=item.get("default"),
                values=tuple(values) if isinstance(values, list) else None,
            )
    return result


def _type_error(parameter: Parameter, value: Any) -> str | None:
    if is_expression(value):
        return None
    kind = parameter.type
    ok = True
    if kind == "string":
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
    elif kind == "number":
        ok = (isinstance(value, int | float) and not isinstance(value, bool)) or (
            isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
        )
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind in ("stepList", "jobList", "stageList", "deploymentList"):
        ok = isinstance(value, list)
    elif kind in ("step", "job", "stage", "deployment"):
        ok = isinstance(value, dict)
    if not ok:
        return f"parameter '{parameter.name}' expects {kind}, got {type(value).__name__} {value!r}"
    if parameter.values is not None and value not in parameter.values:
        return f"parameter '{parameter.name}' must be one of {list(parameter.values)}, got {value!r}"
    return None


def _candidate_paths(
    reference: str, parameters: dict[str, Parameter] | None, args: dict[str, Any]
) -> list[str]:
    """Expand `${{ parameters.x }}` in a template path with the known literal values (enums: every value)."""
    names = PARAMETER_REF.findall(reference)
    if not names:
        return [reference]
    options: list[dict[str, Any]] = [{}]
    for name in dict.fromkeys(names):
        choices: list[Any] = []
        if name in args and not is_expression(args[name]):
            choices = [args[name]]
        elif parameters and name in parameters:
            parameter = parameters[name]
            choices = list(parameter.values) if parameter.values else []
            if not choices and not parameter.required:
                choices = [parameter.default]
        if not choices:
            return []
        options = [{**option, name: choice} for option in options for choice in choices]
    return [
        PARAMETER_REF.sub(lambda match, option=option: str(option[match.group(1)]), reference)
        for option in options
    ]


def resolve_azure_devops(root: Path, including: Path, reference: str) -> Path:
    path, _, alias = reference.partition("@")
    if alias == "templates":
        return root / AZURE_DEVOPS_TEMPLATES / path
    if alias == "self":
        return root / path
    if alias:
        return root / "__unknown_repository__" / alias / path
    return (including.parent / path).resolve()


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def check_azure_devops_file(report: _Report, path: Path) -> None:
    document = load(path)
    own_parameters = declared_parameters(document)
    for node in _walk(document):
        reference = node.get("template")
        if not isinstance(reference, str):
            continue
        line = _line_of(node, "template", 0)
        args = node.get("parameters") or {}
        if not isinstance(args, dict):
            report.add(path, line, f"template '{reference}': parameters must be a mapping")
            continue
        candidates = _candidate_paths(reference, own_parameters, args)
        if not candidates:
            report.add(path, line, f"template '{reference}': path depends on a value unknown before run time")
            continue
        for candidate in candidates:
            target = resolve_azure_devops(report.root, path, candidate)
            if not target.is_file():
                report.add(path, line, f"template '{candidate}' not found")
                continue
            _check_call(report, path, line, candidate, load(target), args)


def _check_call(  # noqa: PLR0917 - internal helper
    report: _Report, path: Path, line: int, reference: str, target: Any, args: dict
) -> None:
    declared = declared_parameters(target) or {}
    for name, value in args.items():
        at = _line_of(args, name, line)
        if isinstance(name, str) and name.startswith("${{"):
            continue  # conditional insertion: checked where it is expanded
        if name not in declared:
            report.add(path, at, f"template '{reference}' does not declare parameter '{name}'")
            continue
        error = _type_error(declared[name], value)
        if error:
            report.add(path, at, f"template '{reference}': {error}")
    for parameter in declared.values():
        if parameter.required and parameter.name not in args:
            report.add(
                path, line, f"template '{reference}': required parameter '{parameter.name}' not passed"
            )


# ---------------------------------------------------------------------------------------------- GitHub


def _inputs_of(target: Any, *, workflow: bool) -> tuple[dict, dict] | None:
    if not isinstance(target, dict):
        return None
    if workflow:
        on = target.get("on")
        call = on.get("workflow_call") if isinstance(on, dict) else None
        if call is None and not (isinstance(on, dict) and "workflow_call" in on):
            return None
        call = call or {}
        return call.get("inputs") or {}, call.get("secrets") or {}
    return target.get("inputs") or {}, {}


def _check_with(  # noqa: PLR0917 - internal helper
    report: _Report, path: Path, line: int, uses: str, inputs: dict, given: Any, kind: str
) -> None:
    given = given if isinstance(given, dict) else {}
    for name, value in given.items():
        at = _line_of(given, name, line)
        if name not in inputs:
            report.add(path, at, f"'{uses}' does not declare {kind} '{name}'")
            continue
        declared = inputs[name] or {}
        wanted = declared.get("type")
        if is_expression(value) or wanted is None:
            continue
        if wanted == "boolean" and not isinstance(value, bool):
            report.add(path, at, f"'{uses}' {kind} '{name}' expects boolean, got {value!r}")
        elif wanted == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            report.add(path, at, f"'{uses}' {kind} '{name}' expects number, got {value!r}")
        elif wanted == "string" and isinstance(value, bool):
            report.add(path, at, f"'{uses}' {kind} '{name}' expects string, got {value!r}")
    for name, spec in inputs.items():
        declared = spec or {}
        if declared.get("required") and "default" not in declared and name not in given:
            report.add(path, line, f"'{uses}': required {kind} '{name}' not passed")


def _check_uses(report: _Report, path: Path, lines: list[str], node: dict, *, job_level: bool) -> None:
    uses = node["uses"]
    line = _line_of(node, "uses", 0)
    if not isinstance(uses, str):
        report.add(path, line, "uses must be a string")
        return
    if uses.startswith("./"):
        target_path = report.root / uses
        workflow = job_level
        if not workflow:
            target_path = target_path / "action.yml"
        if not target_path.is_file():
            report.add(path, line, f"'{uses}' not found")
            return
        declared = _inputs_of(load(target_path), workflow=workflow)
        if declared is None:
            report.add(path, line, f"'{uses}' is not a reusable workflow (no on.workflow_call)")
            return
        inputs, secrets = declared
        _check_with(report, path, line, uses, inputs, node.get("with"), "input")
        given_secrets = node.get("secrets")
        if given_secrets == "inherit":
            report.add(
                path, _line_of(node, "secrets", line), f"'{uses}': secrets: inherit passes every secret"
            )
        elif given_secrets is not None:
            _check_with(report, path, line, uses, secrets, given_secrets, "secret")
        return
    if uses.startswith("docker://"):
        report.add(path, line, f"'{uses}': container actions are not allowed")
        return
    if not PINNED.match(uses):
        report.add(path, line, f"'{uses}' is not pinned to a 40-hex commit SHA")
    elif not VERSION_COMMENT.search(lines[line - 1] if 0 < line <= len(lines) else ""):
        report.add(path, line, f"'{uses}' has no '# vX.Y.Z' version comment")


def check_github_file(report: _Report, path: Path) -> None:
    document = load(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    if not isinstance(document, dict):
        report.add(path, 1, "not a YAML mapping")
        return
    jobs = document.get("jobs")
    if isinstance(jobs, dict):
        for job in jobs.values():
            if not isinstance(job, dict):
                continue
            if "uses" in job:
                _check_uses(report, path, lines, job, job_level=True)
            for step in job.get("steps") or []:
                if isinstance(step, dict) and "uses" in step:
                    _check_uses(report, path, lines, step, job_level=False)
    runs = document.get("runs")
    if isinstance(runs, dict):
        for step in runs.get("steps") or []:
            if isinstance(step, dict) and "uses" in step:
                _check_uses(report, path, lines, step, job_level=False)


# ---------------------------------------------------------------------------------------------- the tree


def azure_devops_files(root: Path) -> list[Path]:
    return sorted(
        [*(root / AZURE_DEVOPS_TEMPLATES).glob("*/*.yml"), *(root / "pipelines/azure-devops").glob("*.yml")]
    )


def github_files(root: Path) -> list[Path]:
    return sorted(
        [
            *(root / "templates/github/actions").glob("*/action.yml"),
            *(root / "templates/github/workflows").glob("*.yml"),
            *(root / "pipelines/github").glob("*.yml"),
        ]
    )


def check_tree(root: Path) -> list[Violation]:
    """Every violation in the tree at `root` (a repository or a test fixture with the same layout)."""
    report = _Report(root.resolve())
    for path in azure_devops_files(report.root):
        check_azure_devops_file(report, path)
    for path in github_files(report.root):
        check_github_file(report, path)
    return sorted(set(report.violations))
