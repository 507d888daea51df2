"""Resolve a job's data bindings and render each step's command line.

- `${{parent.inputs.x}}`, `${{parent.jobs.step.outputs.y}}` (step inputs) and `${{parent.outputs.z}}`
  (step outputs) are resolved against the pipeline;
- literal values are checked and converted to the component input's type (`string`, `integer`, `number`,
  `boolean`, with `enum`/`min`/`max`);
- path inputs (`uri_file`, `uri_folder`, `mltable`, models) become absolute paths: relative paths against
  the folder of the YAML file that wrote them (or the caller's working folder for caller values), and
  `azureml:name:version` through the caller's `resolve_data` callback, which receives `name:version`;
- `${{inputs.x}}` / `${{outputs.y}}` are substituted into the command, and `$[[ ... ]]` blocks are kept
  only when every input they mention has a value.

Values are substituted as text, as Azure ML does (booleans as `True`/`False`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from amlops.azureml.errors import BindingError
from amlops.azureml.spec import (
    LITERAL_TYPES,
    ComponentSpec,
    InputSpec,
    InputValue,
    OutputSpec,
    PipelineJob,
    Step,
    literal_type,
)

DataResolver = Callable[[str], Path]
Scalar = str | int | float | bool

_PARENT_REF = re.compile(
    r"^\s*\$\{\{\s*parent\.(?:(?P<kind>inputs|outputs)\.(?P<name>[A-Za-z_][\w-]*)"
    r"|jobs\.(?P<step>[A-Za-z_][\w-]*)\.outputs\.(?P<output>[A-Za-z_][\w-]*))\s*\}\}\s*$"
)
_COMMAND_REF = re.compile(r"\$\{\{\s*(?P<expr>[^}]*?)\s*\}\}")
_COMMAND_NAME = re.compile(r"^(?P<kind>inputs|outputs)\.(?P<name>[A-Za-z_][\w-]*)$")
_OPTIONAL_BLOCK = re.compile(r"\$\[\[(?P<body>.*?)\]\]", re.DOTALL)
_REMOTE_PREFIXES = ("azureml://", "http://", "https://", "wasbs://", "abfss://", "adl://", "s3://", "gs://")
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Reference:
    """A `${{parent...}}` binding: `kind` is `inputs`, `outputs` or `jobs` (then `step` is set)."""

    kind: Literal["inputs", "outputs", "jobs"]
    name: str
    text: str
    step: str | None = None


@dataclass(frozen=True)
class ResolvedInput:
    """An input with its final value: a scalar, an absolute path, or None for an absent optional input."""

    name: str
    type: str
    value: Scalar | Path | None
    from_step: str | None = None


@dataclass(frozen=True)
class ResolvedOutput:
    """Where a step writes an output; `pipeline_output` names the pipeline output bound to it, if any."""

    name: str
    type: str
    path: Path
    pipeline_output: str | None = None


@dataclass(frozen=True)
class StepPlan:
    """A step ready to run: every input resolved, every output placed, the command rendered."""

    name: str
    component: ComponentSpec
    inputs: Mapping[str, ResolvedInput]
    outputs: Mapping[str, ResolvedOutput]
    command: str
    upstream: tuple[str, ...]
    environment_variables: Mapping[str, str]


def parse_reference(value: object, *, step: str | None = None) -> Reference | None:
    """The `${{parent...}}` binding `value` holds, or None for a plain value; malformed bindings raise."""
    if not isinstance(value, str) or "${{" not in value:
        return None
    match = _PARENT_REF.match(value)
    if match is None:
        raise BindingError(
            "expected the whole value to be ${{parent.inputs.NAME}}, ${{parent.outputs.NAME}} "
            "or ${{parent.jobs.STEP.outputs.NAME}}",
            step=step,
            binding=value,
        )
    if match["step"]:
        return Reference(kind="jobs", name=match["output"], step=match["step"], text=value.strip())
    kind: Literal["inputs", "outputs"] = "inputs" if match["kind"] == "inputs" else "outputs"
    return Reference(kind=kind, name=match["name"], text=value.strip())


def default_output_path(run_dir: Path, step: str, output: OutputSpec) -> Path:
    """`run_dir/<step>/outputs/<name>/`, and for a `uri_file` output the file `<name>` inside that folder."""
    folder = run_dir / step / "outputs" / output.name
    return folder / output.name if output.type == "uri_file" else folder


def coerce_literal(value: object, spec: InputSpec, *, step: str | None = None) -> Scalar:
    """Check `value` against a literal input declaration and convert it (strings from a command line too)."""
    binding = f"inputs.{spec.name}"
    if isinstance(value, dict | list | tuple | set) or value is None:
        raise BindingError(f"expected a {spec.type}, got {value!r}", step=step, binding=binding)
    result: Scalar
    if spec.type == "string":
        result = str(value)
        if spec.enum is not None and result not in spec.enum:
            raise BindingError(f"{result!r} is not one of {list(spec.enum)}", step=step, binding=binding)
        return result
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true"
        raise BindingError(f"expected a boolean (true or false), got {value!r}", step=step, binding=binding)
    if isinstance(value, bool):
        raise BindingError(f"expected a {spec.type}, got the boolean {value!r}", step=step, binding=binding)
    if spec.type == "integer":
        if isinstance(value, int):
            result = value
        elif isinstance(value, float) and value.is_integer():
            result = int(value)
        elif isinstance(value, str) and _INTEGER.match(value.strip()):
            result = int(value.strip())
        else:
            raise BindingError(f"expected an integer, got {value!r}", step=step, binding=binding)
    elif isinstance(value, int | float):  # number
        result = value
    else:
        try:
            result = float(str(value))
        except ValueError:
            raise BindingError(f"expected a number, got {value!r}", step=step, binding=binding) from None
    if spec.min is not None and result < spec.min:
        raise BindingError(f"{result} is below the minimum {spec.min:g}", step=step, binding=binding)
    if spec.max is not None and result > spec.max:
        raise BindingError(f"{result} is above the maximum {spec.max:g}", step=step, binding=binding)
    return result


def resolve_path(
    value: object,
    type_: str,
    *,
    base_dir: Path,
    resolve_data: DataResolver | None,
    step: str | None = None,
    binding: str | None = None,
) -> Path:
    """An absolute, existing path for a path input value: a path, `file:PATH` or `azureml:name:version`."""
    if isinstance(value, Path):
        path = value if value.is_absolute() else base_dir / value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.startswith(_REMOTE_PREFIXES):
            raise BindingError(
                f"{text!r} is a remote location; locally a path is needed", step=step, binding=binding
            )
        if text.startswith("azureml:"):
            if resolve_data is None:
                raise BindingError(
                    f"{text!r} is a data asset reference and no data resolver was given",
                    step=step,
                    binding=binding,
                )
            try:
                path = Path(resolve_data(text.removeprefix("azureml:")))
            except (KeyError, LookupError, ValueError, OSError) as exc:
                raise BindingError(
                    f"cannot resolve data asset {text!r}: {exc}", step=step, binding=binding
                ) from exc
        else:
            path = base_dir / text.removeprefix("file:")
    else:
        raise BindingError(f"expected a path for a {type_} input, got {value!r}", step=step, binding=binding)
    path = path.resolve()
    if type_ == "uri_file":
        if not path.is_file():
            raise BindingError(f"uri_file input {path} is not an existing file", step=step, binding=binding)
    elif not path.is_dir():
        raise BindingError(f"{type_} input {path} is not an existing folder", step=step, binding=binding)
    return path


def pipeline_input_values(
    job: PipelineJob, overrides: Mapping[str, object] | None, *, cwd: Path
) -> dict[str, InputValue]:
    """The job's pipeline inputs with the caller's values (relative paths against `cwd`) replacing them."""
    values = dict(job.inputs)
    for name, value in (overrides or {}).items():
        declared = job.inputs.get(name)
        if declared is None:
            known = ", ".join(sorted(job.inputs)) or "none"
            raise BindingError(f"the pipeline declares no input '{name}' (declared: {known})", binding=name)
        values[name] = InputValue(
            name=name,
            value=value,
            base_dir=cwd,
            type=declared.type,
            is_path=declared.is_path,
            optional=declared.optional,
            line=declared.line,
        )
    return values


def _format(value: Scalar | Path) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def render_command(
    command: str,
    *,
    inputs: Mapping[str, Scalar | Path | None],
    outputs: Mapping[str, Path],
    step: str | None = None,
) -> str:
    """Substitute `${{inputs.x}}`/`${{outputs.y}}`; drop `$[[ ... ]]` blocks that mention an absent input.

    `inputs` holds every declared input, None for an absent optional one.
    """

    def lookup(expr: str, *, in_block: bool) -> str | None:
        match = _COMMAND_NAME.match(expr)
        if match is None:
            raise BindingError("unsupported expression in command", step=step, binding=f"${{{{{expr}}}}}")
        kind, name = match["kind"], match["name"]
        table: Mapping[str, Scalar | Path | None] = inputs if kind == "inputs" else outputs
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise BindingError(
                f"the command uses {kind[:-1]} '{name}', not declared by the component (declared: {known})",
                step=step,
                binding=f"${{{{{expr}}}}}",
            )
        value = table[name]
        if value is None:
            if in_block:
                return None
            raise BindingError(
                f"input '{name}' has no value; wrap its option in $[[ ... ]] or give it a value",
                step=step,
                binding=f"${{{{{expr}}}}}",
            )
        return _format(value)

    def substitute(text: str, *, in_block: bool) -> str | None:
        pieces: list[str] = []
        position = 0
        for match in _COMMAND_REF.finditer(text):
            value = lookup(match["expr"], in_block=in_block)
            if value is None:
                return None
            pieces.extend((text[position : match.start()], value))
            position = match.end()
        pieces.append(text[position:])
        return "".join(pieces)

    def optional_block(match: re.Match[str]) -> str:
        return substitute(match["body"], in_block=True) or ""

    # Blocks are handled first so that the substitution never sees `$[[`.
    parts: list[str] = []
    position = 0
    for match in _OPTIONAL_BLOCK.finditer(command):
        parts.append(substitute(command[position : match.start()], in_block=False) or "")
        parts.append(optional_block(match))
        position = match.end()
    parts.append(substitute(command[position:], in_block=False) or "")
    return "".join(parts)


def step_references(step: Step) -> dict[str, Reference]:
    """The `${{parent...}}` binding of each of the step's inputs that has one."""
    references = {}
    for name, given in step.inputs.items():
        reference = parse_reference(given.value, step=step.name)
        if reference is not None:
            references[name] = reference
    return references


def _resolve_input(
    spec: InputSpec,
    given: InputValue,
    *,
    step: Step,
    pipeline_inputs: Mapping[str, InputValue],
    step_outputs: Mapping[str, Mapping[str, ResolvedOutput]],
    resolve_data: DataResolver | None,
) -> ResolvedInput:
    binding = f"inputs.{spec.name}"
    reference = parse_reference(given.value, step=step.name)
    if reference is not None and reference.kind == "jobs":
        assert reference.step is not None
        outputs = step_outputs.get(reference.step)
        if outputs is None:
            raise BindingError(
                f"no step named '{reference.step}' in the pipeline", step=step.name, binding=reference.text
            )
        if reference.name not in outputs:
            known = ", ".join(sorted(outputs)) or "none"
            raise BindingError(
                f"step '{reference.step}' has no output '{reference.name}' (declared: {known})",
                step=step.name,
                binding=reference.text,
            )
        if spec.type is None:
            spec = replace(spec, type=outputs[reference.name].type)
        if spec.type in LITERAL_TYPES:
            raise BindingError(
                f"input '{spec.name}' is a {spec.type} and cannot take a step output",
                step=step.name,
                binding=reference.text,
            )
        return ResolvedInput(spec.name, spec.type, outputs[reference.name].path, from_step=reference.step)
    if reference is not None and reference.kind == "outputs":
        raise BindingError(
            "a step input cannot bind to a pipeline output", step=step.name, binding=reference.text
        )
    if reference is not None:
        parent = pipeline_inputs.get(reference.name)
        if parent is None:
            known = ", ".join(sorted(pipeline_inputs)) or "none"
            raise BindingError(
                f"the pipeline declares no input '{reference.name}' (declared: {known})",
                step=step.name,
                binding=reference.text,
            )
        given = parent
        binding = reference.text
        if spec.type is None:
            spec = replace(spec, type=parent.type or literal_type(parent))
    if spec.type is None:
        spec = replace(spec, type=given.type or literal_type(given))
    if given.value is None:
        if spec.optional:
            return ResolvedInput(spec.name, spec.type, None)
        raise BindingError(f"required input '{spec.name}' has no value", step=step.name, binding=binding)
    if spec.type in LITERAL_TYPES:
        if given.is_path:
            raise BindingError(
                f"input '{spec.name}' is a {spec.type} but was given a path", step=step.name, binding=binding
            )
        return ResolvedInput(spec.name, spec.type, coerce_literal(given.value, spec, step=step.name))
    path = resolve_path(
        given.value,
        spec.type,
        base_dir=given.base_dir,
        resolve_data=resolve_data,
        step=step.name,
        binding=binding,
    )
    return ResolvedInput(spec.name, spec.type, path)


def plan_step(
    step: Step,
    *,
    run_dir: Path,
    pipeline_inputs: Mapping[str, InputValue],
    step_outputs: Mapping[str, Mapping[str, ResolvedOutput]],
    resolve_data: DataResolver | None,
    output_paths: Mapping[str, Path] | None = None,
) -> StepPlan:
    """Resolve one step's inputs and outputs and render its command.

    `step_outputs` holds the outputs of the steps before it; `output_paths` overrides where outputs go.
    """
    component = step.component
    for name, given in step.inputs.items():
        if name not in component.inputs:
            known = ", ".join(sorted(component.inputs)) or "none"
            raise BindingError(
                f"component '{component.name}' declares no input '{name}' (declared: {known})",
                step=step.name,
                binding=f"inputs.{name}" + (f" = {given.value}" if isinstance(given.value, str) else ""),
            )
    for name in step.outputs:
        if name not in component.outputs:
            known = ", ".join(sorted(component.outputs)) or "none"
            raise BindingError(
                f"component '{component.name}' declares no output '{name}' (declared: {known})",
                step=step.name,
                binding=f"outputs.{name}",
            )
    inputs: dict[str, ResolvedInput] = {}
    for name, spec in component.inputs.items():
        given = step.inputs.get(name)
        if given is None:
            given = InputValue(name=name, value=spec.default, base_dir=component.source.parent)
        inputs[name] = _resolve_input(
            spec,
            given,
            step=step,
            pipeline_inputs=pipeline_inputs,
            step_outputs=step_outputs,
            resolve_data=resolve_data,
        )
    outputs: dict[str, ResolvedOutput] = {}
    for name, spec in component.outputs.items():
        configured = step.outputs.get(name)
        pipeline_output = None
        if configured is not None and configured.binding is not None:
            reference = parse_reference(configured.binding, step=step.name)
            if reference is None or reference.kind != "outputs":
                raise BindingError(
                    "a step output can only bind to ${{parent.outputs.NAME}}",
                    step=step.name,
                    binding=configured.binding,
                )
            pipeline_output = reference.name
        path = (output_paths or {}).get(name) or default_output_path(run_dir, step.name, spec)
        outputs[name] = ResolvedOutput(name, spec.type, Path(path).resolve(), pipeline_output)
    command = render_command(
        component.command,
        inputs={name: resolved.value for name, resolved in inputs.items()},
        outputs={name: resolved.path for name, resolved in outputs.items()},
        step=step.name,
    )
    upstream = tuple(dict.fromkeys(r.from_step for r in inputs.values() if r.from_step is not None))
    return StepPlan(
        name=step.name,
        component=component,
        inputs=MappingProxyType(inputs),
        outputs=MappingProxyType(outputs),
        command=command,
        upstream=upstream,
        environment_variables=MappingProxyType(
            {**component.environment_variables, **step.environment_variables}
        ),
    )


def pipeline_output_sources(job: PipelineJob, plans: Mapping[str, StepPlan]) -> dict[str, tuple[str, str]]:
    """Map each pipeline output to the (step, output) bound to it; each must be bound exactly once."""
    sources: dict[str, tuple[str, str]] = {}
    for plan in plans.values():
        for output in plan.outputs.values():
            name = output.pipeline_output
            if name is None:
                continue
            if name not in job.outputs:
                known = ", ".join(sorted(job.outputs)) or "none"
                raise BindingError(
                    f"the pipeline declares no output '{name}' (declared: {known})",
                    step=plan.name,
                    binding=f"${{{{parent.outputs.{name}}}}}",
                )
            if name in sources:
                first = sources[name][0]
                raise BindingError(
                    f"pipeline output '{name}' is already bound by step '{first}'",
                    step=plan.name,
                    binding=f"${{{{parent.outputs.{name}}}}}",
                )
            sources[name] = (plan.name, output.name)
    for name in job.outputs:
        if name not in sources:
            raise BindingError(f"pipeline output '{name}' is not bound by any step", binding=name)
    return sources
