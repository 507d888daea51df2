"""Azure ML job and component YAML (CLI v2 schema) as frozen dataclasses, with errors naming `file:line`.

Only the structure is checked here; bindings (`${{parent...}}`, `${{inputs.x}}`) are resolved by
`amlops.azureml.bindings`. Keys the local executor does not know are refused rather than ignored, so a
misspelled key fails here instead of silently changing what runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from amlops.azureml.errors import PipelineSpecError
from amlops.yamlsource import AZURE_ML, YamlError, YMap, load_file

LITERAL_TYPES = frozenset({"string", "integer", "number", "boolean"})
PATH_TYPES = frozenset({"uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model"})
INPUT_TYPES = LITERAL_TYPES | PATH_TYPES
OUTPUT_TYPES = PATH_TYPES

_COMPONENT_KEYS = frozenset(
    {
        "$schema",
        "type",
        "name",
        "version",
        "display_name",
        "description",
        "tags",
        "is_deterministic",
        "inputs",
        "outputs",
        "code",
        "environment",
        "command",
        "resources",
        "distribution",
        "additional_includes",
        "environment_variables",
        "instance_count",
        "properties",
    }
)
_INPUT_DECL_KEYS = frozenset({"type", "description", "optional", "default", "min", "max", "enum", "mode"})
_OUTPUT_DECL_KEYS = frozenset({"type", "description", "mode", "path", "name", "version", "is_control"})
_JOB_KEYS = frozenset(
    {
        "$schema",
        "type",
        "name",
        "display_name",
        "description",
        "experiment_name",
        "tags",
        "properties",
        "settings",
        "inputs",
        "outputs",
        "jobs",
        "compute",
        "identity",
    }
)
_STEP_KEYS = frozenset(
    {
        "type",
        "component",
        "inputs",
        "outputs",
        "name",
        "display_name",
        "description",
        "experiment_name",
        "tags",
        "properties",
        "compute",
        "environment_variables",
        "resources",
        "distribution",
        "limits",
        "identity",
        "services",
        "queue_settings",
        "environment",
        # inline command jobs
        "command",
        "code",
    }
)
_VALUE_KEYS = frozenset(
    {"type", "path", "value", "default", "mode", "optional", "description", "min", "max", "enum", "datastore"}
)
_SETTINGS_KEYS = frozenset(
    {"default_compute", "default_datastore", "continue_on_step_failure", "force_rerun", "default_environment"}
)


@dataclass(frozen=True)
class InputSpec:
    """An input a component declares; `type` is None only for an inline job's input bound to the pipeline."""

    name: str
    type: str | None
    optional: bool = False
    default: object | None = None
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    line: int | None = None


@dataclass(frozen=True)
class OutputSpec:
    """An output a component declares."""

    name: str
    type: str = "uri_folder"
    line: int | None = None


@dataclass(frozen=True)
class ComponentSpec:
    """A command component: what to run, where its code is, what it takes and writes.

    `content` is a canonical text of the definition (used in step fingerprints); `code` is absolute.
    """

    name: str
    source: Path
    command: str
    code: Path | None
    inputs: Mapping[str, InputSpec]
    outputs: Mapping[str, OutputSpec]
    content: str
    version: str | None = None
    display_name: str | None = None
    environment_variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    is_deterministic: bool = True
    line: int | None = None


@dataclass(frozen=True)
class InputValue:
    """A value given in a job file for a pipeline input or a step input.

    `value` is a literal, a path string (relative to `base_dir`, or `azureml:name:version`), a binding
    string like `${{parent.inputs.x}}`, or None when the input is declared without a value.
    """

    name: str
    value: object | None
    base_dir: Path
    type: str | None = None
    is_path: bool = False
    optional: bool = False
    line: int | None = None


@dataclass(frozen=True)
class OutputValue:
    """How a step output (or pipeline output) is configured: its binding to a pipeline output, if any."""

    name: str
    binding: str | None = None
    type: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Step:
    """One `jobs:` entry of a pipeline job."""

    name: str
    component: ComponentSpec
    inputs: Mapping[str, InputValue]
    outputs: Mapping[str, OutputValue]
    environment_variables: Mapping[str, str]
    line: int | None = None


@dataclass(frozen=True)
class PipelineJob:
    """A pipeline job file: its pipeline inputs/outputs and its steps in file order."""

    source: Path
    inputs: Mapping[str, InputValue]
    outputs: Mapping[str, OutputValue]
    steps: Mapping[str, Step]
    name: str | None = None
    display_name: str | None = None
    continue_on_step_failure: bool = False
    force_rerun: bool = False


K = TypeVar("K")
V = TypeVar("V")


def _freeze(items: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(items))


def load_yaml(path: Path) -> Any:
    """Read a job, component or deployment file as azure-ai-ml reads it (`amlops.yamlsource.AZURE_ML`,
    line numbers kept); a missing file or bad YAML raises `PipelineSpecError` naming the file and line."""
    try:
        return load_file(path, schema=AZURE_ML)
    except YamlError as exc:
        raise PipelineSpecError(exc.problem, file=path, line=exc.line) from None


def _line(node: object, key: str | None = None) -> int | None:
    if isinstance(node, YMap):
        return node.line_of(key) if key is not None else node.line
    return None


def _expect_map(node: object, what: str, *, file: Path, line: int | None) -> YMap:
    if node is None:
        return YMap()
    if not isinstance(node, dict):
        raise PipelineSpecError(f"{what} must be a mapping, got {type(node).__name__}", file=file, line=line)
    if not isinstance(node, YMap):  # built in code rather than loaded; no line numbers
        return YMap(node)
    return node


def check_keys(node: YMap, allowed: frozenset[str], what: str, *, file: Path) -> None:
    """An unknown key of `node` raises PipelineSpecError naming it, its line and the known keys."""
    for key in node:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise PipelineSpecError(
                f"unknown key '{key}' in {what} (known: {known})", file=file, line=node.line_of(key)
            )


def _string_env(node: object, what: str, *, file: Path, line: int | None) -> Mapping[str, str]:
    mapping = _expect_map(node, what, file=file, line=line)
    result: dict[str, str] = {}
    for key, value in mapping.items():
        if isinstance(value, dict | list) or value is None:
            raise PipelineSpecError(f"{what}.{key} must be a scalar", file=file, line=mapping.line_of(key))
        result[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return _freeze(result)


def _flag(node: YMap, key: str, what: str, *, file: Path, default: bool = False) -> bool:
    value = node.get(key, default)
    if not isinstance(value, bool):
        raise PipelineSpecError(f"{what}.{key} must be true or false", file=file, line=node.line_of(key))
    return value


def _optional_number(node: YMap, key: str, *, file: Path) -> float | None:
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PipelineSpecError(f"'{key}' must be a number", file=file, line=node.line_of(key))
    return float(value)


def _input_decl(name: str, node: object, *, file: Path, line: int | None) -> InputSpec:
    decl = _expect_map(node, f"input '{name}'", file=file, line=line)
    check_keys(decl, _INPUT_DECL_KEYS, f"input '{name}'", file=file)
    type_ = decl.get("type")
    if type_ not in INPUT_TYPES:
        raise PipelineSpecError(
            f"input '{name}' has type {type_!r}; expected one of {', '.join(sorted(INPUT_TYPES))}",
            file=file,
            line=decl.line_of("type") if "type" in decl else decl.line,
        )
    optional = decl.get("optional", False)
    if not isinstance(optional, bool):
        raise PipelineSpecError(
            f"input '{name}'.optional must be true or false", file=file, line=decl.line_of("optional")
        )
    enum = decl.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        raise PipelineSpecError(
            f"input '{name}'.enum must be a non-empty list", file=file, line=decl.line_of("enum")
        )
    return InputSpec(
        name=name,
        type=type_,
        optional=optional,
        default=decl.get("default"),
        enum=tuple(str(item) for item in enum) if enum else None,
        min=_optional_number(decl, "min", file=file),
        max=_optional_number(decl, "max", file=file),
        line=line,
    )


def _output_decl(name: str, node: object, *, file: Path, line: int | None) -> OutputSpec:
    decl = _expect_map(node, f"output '{name}'", file=file, line=line)
    check_keys(decl, _OUTPUT_DECL_KEYS, f"output '{name}'", file=file)
    type_ = decl.get("type", "uri_folder")
    if type_ not in OUTPUT_TYPES:
        raise PipelineSpecError(
            f"output '{name}' has type {type_!r}; expected one of {', '.join(sorted(OUTPUT_TYPES))}",
            file=file,
            line=decl.line_of("type"),
        )
    return OutputSpec(name=name, type=type_, line=line)


def code_dir(value: object, *, base_dir: Path, file: Path, line: int | None) -> Path | None:
    """A spec's `code:` as a local folder (relative to `base_dir`); anything else raises PipelineSpecError."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PipelineSpecError("'code' must be a path", file=file, line=line)
    if value.startswith(("azureml:", "git+", "http://", "https://")):
        raise PipelineSpecError(
            f"code {value!r} is not a local folder; the local executor needs one", file=file, line=line
        )
    code = (base_dir / value.removeprefix("file:")).resolve()
    if not code.is_dir():
        raise PipelineSpecError(f"code folder {value!r} does not exist ({code})", file=file, line=line)
    return code


def parse_component(node: object, *, file: Path, base_dir: Path, line: int | None = None) -> ComponentSpec:
    """Build a `ComponentSpec` from a loaded component mapping (a file's content or an inline definition)."""
    spec = _expect_map(node, "component", file=file, line=line)
    check_keys(spec, _COMPONENT_KEYS, "component", file=file)
    type_ = spec.get("type", "command")
    if type_ != "command":
        raise PipelineSpecError(
            f"component type {type_!r} cannot run locally; only 'command' components can",
            file=file,
            line=spec.line_of("type"),
        )
    command = spec.get("command")
    if not isinstance(command, str) or not command.strip():
        raise PipelineSpecError("component has no 'command'", file=file, line=spec.line_of("command"))
    name = spec.get("name", file.stem)
    inputs_node = _expect_map(spec.get("inputs"), "inputs", file=file, line=spec.line_of("inputs"))
    outputs_node = _expect_map(spec.get("outputs"), "outputs", file=file, line=spec.line_of("outputs"))
    inputs = {k: _input_decl(k, v, file=file, line=inputs_node.line_of(k)) for k, v in inputs_node.items()}
    outputs = {
        k: _output_decl(k, v, file=file, line=outputs_node.line_of(k)) for k, v in outputs_node.items()
    }
    clash = set(inputs) & set(outputs)
    if clash:
        raise PipelineSpecError(
            f"names used for both an input and an output: {sorted(clash)}", file=file, line=line
        )
    return ComponentSpec(
        name=str(name),
        source=file,
        command=command,
        code=code_dir(spec.get("code"), base_dir=base_dir, file=file, line=spec.line_of("code")),
        inputs=_freeze(inputs),
        outputs=_freeze(outputs),
        content=json.dumps(spec, sort_keys=True, default=str),
        version=None if spec.get("version") is None else str(spec.get("version")),
        display_name=spec.get("display_name"),
        environment_variables=_string_env(
            spec.get("environment_variables"),
            "environment_variables",
            file=file,
            line=spec.line_of("environment_variables"),
        ),
        is_deterministic=_flag(spec, "is_deterministic", "component", file=file, default=True),
        line=spec.line if line is None else line,
    )


def load_component(path: Path) -> ComponentSpec:
    """Load a command component file (`$schema` commandComponent)."""
    path = Path(path).resolve()
    node = load_yaml(path)
    if not isinstance(node, dict):
        raise PipelineSpecError("a component file must hold a mapping", file=path, line=1)
    return parse_component(node, file=path, base_dir=path.parent)


def _input_value(name: str, node: object, *, file: Path, line: int | None) -> InputValue:
    base_dir = file.parent
    if isinstance(node, list):
        raise PipelineSpecError(f"input '{name}' cannot be a list", file=file, line=line)
    if not isinstance(node, dict):
        return InputValue(name=name, value=node, base_dir=base_dir, line=line)
    value = _expect_map(node, f"input '{name}'", file=file, line=line)
    check_keys(value, _VALUE_KEYS, f"input '{name}'", file=file)
    type_ = value.get("type")
    if type_ is not None and type_ not in INPUT_TYPES:
        raise PipelineSpecError(
            f"input '{name}' has type {type_!r}; expected one of {', '.join(sorted(INPUT_TYPES))}",
            file=file,
            line=value.line_of("type"),
        )
    given = [key for key in ("path", "value", "default") if key in value]
    if len(given) > 1:
        raise PipelineSpecError(f"input '{name}' sets more than one of {given}", file=file, line=line)
    raw = value.get(given[0]) if given else None
    if "path" in value and not isinstance(raw, str):
        raise PipelineSpecError(
            f"input '{name}'.path must be a string", file=file, line=value.line_of("path")
        )
    return InputValue(
        name=name,
        value=raw,
        base_dir=base_dir,
        type=type_,
        is_path="path" in value,
        optional=bool(value.get("optional", False)),
        line=line,
    )


def _output_value(name: str, node: object, *, file: Path, line: int | None) -> OutputValue:
    if node is None:
        return OutputValue(name=name, line=line)
    if isinstance(node, str):
        return OutputValue(name=name, binding=node, line=line)
    value = _expect_map(node, f"output '{name}'", file=file, line=line)
    check_keys(value, _OUTPUT_DECL_KEYS | {"datastore"}, f"output '{name}'", file=file)
    type_ = value.get("type")
    if type_ is not None and type_ not in OUTPUT_TYPES:
        raise PipelineSpecError(
            f"output '{name}' has type {type_!r}; expected one of {', '.join(sorted(OUTPUT_TYPES))}",
            file=file,
            line=value.line_of("type"),
        )
    path = value.get("path")
    if path is not None and not isinstance(path, str):
        raise PipelineSpecError(
            f"output '{name}'.path must be a string", file=file, line=value.line_of("path")
        )
    return OutputValue(name=name, binding=path, type=type_, line=line)


def _inline_component(step_name: str, step: YMap, *, file: Path) -> ComponentSpec:
    """An inline command job: its inputs are declared by the values it is given."""
    inputs_node = _expect_map(step.get("inputs"), "inputs", file=file, line=step.line_of("inputs"))
    outputs_node = _expect_map(step.get("outputs"), "outputs", file=file, line=step.line_of("outputs"))
    inputs: dict[str, InputSpec] = {}
    for key, raw in inputs_node.items():
        given = _input_value(key, raw, file=file, line=inputs_node.line_of(key))
        # A bound input takes its type from what it is bound to (see bindings); a literal from its value.
        bound = isinstance(given.value, str) and "${{" in given.value
        type_ = given.type or (None if bound else literal_type(given))
        inputs[key] = InputSpec(name=key, type=type_, optional=given.optional, line=given.line)
    outputs: dict[str, OutputSpec] = {}
    for key, raw in outputs_node.items():
        declared = _output_value(key, raw, file=file, line=outputs_node.line_of(key))
        outputs[key] = OutputSpec(name=key, type=declared.type or "uri_folder", line=declared.line)
    command = step.get("command")
    if not isinstance(command, str) or not command.strip():
        raise PipelineSpecError(
            f"step '{step_name}' has neither 'component' nor 'command'", file=file, line=step.line
        )
    definition = {key: step.get(key) for key in ("command", "code", "environment", "inputs", "outputs")}
    return ComponentSpec(
        name=step_name,
        source=file,
        command=command,
        code=code_dir(step.get("code"), base_dir=file.parent, file=file, line=step.line_of("code")),
        inputs=_freeze(inputs),
        outputs=_freeze(outputs),
        content=json.dumps(definition, sort_keys=True, default=str),
        line=step.line,
    )


def literal_type(value: InputValue) -> str:
    """The input type a value implies when none is declared."""
    raw = value.value
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, int):
        return "integer"
    if isinstance(raw, float):
        return "number"
    if isinstance(raw, Path):
        return "uri_file" if raw.is_file() else "uri_folder"
    if value.is_path:
        return "uri_folder"
    return "string"


def _step(name: str, node: object, *, file: Path, line: int | None, cache: dict[Path, ComponentSpec]) -> Step:
    step = _expect_map(node, f"step '{name}'", file=file, line=line)
    check_keys(step, _STEP_KEYS, f"step '{name}'", file=file)
    type_ = step.get("type", "command")
    if type_ != "command":
        raise PipelineSpecError(
            f"step '{name}' has type {type_!r}; the local executor runs only 'command' steps",
            file=file,
            line=step.line_of("type"),
        )
    ref = step.get("component")
    if ref is None:
        component = _inline_component(name, step, file=file)
    else:
        if "command" in step or "code" in step:
            raise PipelineSpecError(
                f"step '{name}' sets both 'component' and 'command'/'code'",
                file=file,
                line=step.line_of("component"),
            )
        component = _component_ref(name, ref, file=file, line=step.line_of("component"), cache=cache)
    inputs_node = _expect_map(step.get("inputs"), "inputs", file=file, line=step.line_of("inputs"))
    outputs_node = _expect_map(step.get("outputs"), "outputs", file=file, line=step.line_of("outputs"))
    return Step(
        name=name,
        component=component,
        inputs=_freeze(
            {k: _input_value(k, v, file=file, line=inputs_node.line_of(k)) for k, v in inputs_node.items()}
        ),
        outputs=_freeze(
            {k: _output_value(k, v, file=file, line=outputs_node.line_of(k)) for k, v in outputs_node.items()}
        ),
        environment_variables=_string_env(
            step.get("environment_variables"),
            f"step '{name}' environment_variables",
            file=file,
            line=step.line_of("environment_variables"),
        ),
        line=line,
    )


def _component_ref(
    step_name: str, ref: object, *, file: Path, line: int | None, cache: dict[Path, ComponentSpec]
) -> ComponentSpec:
    if isinstance(ref, dict):
        return parse_component(ref, file=file, base_dir=file.parent, line=line)
    if not isinstance(ref, str):
        raise PipelineSpecError(
            f"step '{step_name}'.component must be a path or a mapping", file=file, line=line
        )
    if ref.startswith("azureml:"):
        raise PipelineSpecError(
            f"step '{step_name}' uses registered component {ref!r}; locally a component file is needed",
            file=file,
            line=line,
        )
    path = (file.parent / ref.removeprefix("file:")).resolve()
    if not path.is_file():
        raise PipelineSpecError(
            f"step '{step_name}': component file {ref!r} not found ({path})", file=file, line=line
        )
    if path not in cache:
        cache[path] = load_component(path)
    return cache[path]


def load_pipeline_job(path: Path) -> PipelineJob:
    """Load a pipeline job file (`$schema` pipelineJob, `type: pipeline`) and the components it uses."""
    file = Path(path).resolve()
    node = load_yaml(file)
    if not isinstance(node, dict):
        raise PipelineSpecError("a pipeline job file must hold a mapping", file=file, line=1)
    job = _expect_map(node, "pipeline job", file=file, line=1)
    if job.get("type") != "pipeline":
        raise PipelineSpecError(
            f"expected 'type: pipeline', got {job.get('type')!r}", file=file, line=job.line_of("type")
        )
    check_keys(job, _JOB_KEYS, "pipeline job", file=file)
    settings = _expect_map(job.get("settings"), "settings", file=file, line=job.line_of("settings"))
    check_keys(settings, _SETTINGS_KEYS, "settings", file=file)
    continue_on_failure = _flag(settings, "continue_on_step_failure", "settings", file=file)
    force_rerun = _flag(settings, "force_rerun", "settings", file=file)
    inputs_node = _expect_map(job.get("inputs"), "inputs", file=file, line=job.line_of("inputs"))
    outputs_node = _expect_map(job.get("outputs"), "outputs", file=file, line=job.line_of("outputs"))
    jobs_node = _expect_map(job.get("jobs"), "jobs", file=file, line=job.line_of("jobs"))
    if not jobs_node:
        raise PipelineSpecError("pipeline job has no 'jobs'", file=file, line=job.line_of("jobs"))
    outputs: dict[str, OutputValue] = {}
    for key, raw in outputs_node.items():
        # A pipeline output's `path` names an Azure destination; locally outputs stay in the run folder.
        declared = _output_value(key, raw, file=file, line=outputs_node.line_of(key))
        outputs[key] = OutputValue(name=key, type=declared.type, line=declared.line)
    cache: dict[Path, ComponentSpec] = {}
    return PipelineJob(
        source=file,
        inputs=_freeze(
            {k: _input_value(k, v, file=file, line=inputs_node.line_of(k)) for k, v in inputs_node.items()}
        ),
        outputs=_freeze(outputs),
        steps=_freeze(
            {k: _step(k, v, file=file, line=jobs_node.line_of(k), cache=cache) for k, v in jobs_node.items()}
        ),
        name=job.get("name"),
        display_name=job.get("display_name"),
        continue_on_step_failure=continue_on_failure,
        force_rerun=force_rerun,
    )


def describe(value: Any) -> str:
    """A short text for a value in error messages."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
