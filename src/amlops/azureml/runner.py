"""Run a pipeline job or a single command component on this machine, each step as a local process.

Layout of a run folder:

    run_dir/run.json                         the run's status and every step's record (pipelines)
    run_dir/<step>/step.json                 the step's record: status, fingerprint, times, exit code
    run_dir/<step>/std_log.txt               the step's stdout and stderr
    run_dir/<step>/outputs/<name>/           each output (a `uri_file` output is the file `<name>` inside)

A step whose record says `completed` with the same fingerprint (see `amlops.azureml.fingerprint`) is
reused, not re-run, unless `force` is set; so re-running after a failure runs only the failed step and
what comes after it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from amlops import processes
from amlops.azureml.bindings import (
    DataResolver,
    StepPlan,
    pipeline_input_values,
    pipeline_output_sources,
    plan_step,
)
from amlops.azureml.errors import BindingError, PipelineSpecError
from amlops.azureml.fingerprint import step_fingerprint
from amlops.azureml.graph import dependencies, execution_order
from amlops.azureml.spec import InputValue, PipelineJob, Step, load_component, load_pipeline_job

StepStatus = Literal["completed", "failed", "skipped", "reused"]
EventKind = Literal["started", "log", "completed", "failed", "skipped", "reused"]
StepEnv = Callable[[str], Mapping[str, str]]

RECORD_FILE = "step.json"
LOG_FILE = "std_log.txt"
RUN_FILE = "run.json"


@dataclass(frozen=True)
class StepEvent:
    """Progress of one step: a state change, or (`kind == "log"`) one line of its output."""

    step: str
    kind: EventKind
    message: str = ""

    def __str__(self) -> str:
        return f"[{self.step}] {self.message}" if self.message else f"[{self.step}] {self.kind}"


@dataclass(frozen=True)
class StepResult:
    """How one step ended. For a reused step, times and exit code are those of the run that produced it."""

    name: str
    status: StepStatus
    started: datetime | None = None
    ended: datetime | None = None
    duration_s: float | None = None
    log_path: Path | None = None
    outputs: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))
    exit_code: int | None = None
    fingerprint: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when the step's outputs are usable (it completed now or earlier)."""
        return self.status in ("completed", "reused")


@dataclass(frozen=True)
class PipelineRunResult:
    """How a pipeline run ended: `status`, each step's result in run order, and the pipeline outputs."""

    status: Literal["completed", "failed"]
    steps: Mapping[str, StepResult]
    outputs: Mapping[str, Path]
    run_dir: Path
    job_file: Path


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parse_iso(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _write_json(path: Path, document: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    temporary.replace(path)


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _result_document(result: StepResult, command: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": result.name,
        "status": result.status,
        "started": _iso(result.started),
        "ended": _iso(result.ended),
        "duration_s": result.duration_s,
        "exit_code": result.exit_code,
        "log_path": str(result.log_path) if result.log_path else None,
        "outputs": {name: str(path) for name, path in result.outputs.items()},
        "fingerprint": result.fingerprint,
    }
    if result.reason:
        document["reason"] = result.reason
    if command is not None:
        document["command"] = command
    return document


def step_environment(
    plan: StepPlan, *, env: Mapping[str, str] | None, step_env: StepEnv | None
) -> dict[str, str]:
    """This process's environment, then `env`, the step's declared variables and `step_env(step)`.

    The current interpreter's folder goes first on PATH, so `python -m ...` finds the same packages.
    """
    result = dict(os.environ)
    result.update(env or {})
    result.update(plan.environment_variables)
    if step_env is not None:
        result.update(step_env(plan.name))
    interpreter_dir = str(Path(sys.executable).parent)
    result["PATH"] = os.pathsep.join(p for p in (interpreter_dir, result.get("PATH", "")) if p)
    return result


def _shell_argv(command: str) -> list[str]:
    for shell in ("/bin/bash", "/bin/sh"):
        if Path(shell).exists():
            return [shell, "-c", command]
    shell = shutil.which("bash") or shutil.which("sh")
    if shell is None:
        raise PipelineSpecError("no POSIX shell (bash or sh) found to run component commands")
    return [shell, "-c", command]


def _run_process(
    plan: StepPlan,
    *,
    environment: Mapping[str, str],
    log_path: Path,
    emit: Callable[[StepEvent], None],
    timeout_s: float | None,
) -> tuple[int, str | None]:
    """Run the step's command, teeing output to the log and to `emit`; returns (exit code, failure note)."""
    cwd = plan.component.code or plan.component.source.parent
    with log_path.open("w", encoding="utf-8") as log:
        try:
            child = processes.start(_shell_argv(plan.command), cwd=cwd, env=environment, merge_stderr=True)
        except OSError as exc:
            log.write(f"cannot start the step: {exc}\n")
            return 127, f"cannot start the step: {exc}"
        ended = processes.supervise(
            child,
            log=log,
            on_line=lambda line: emit(StepEvent(plan.name, "log", line.text)),
            timeout_s=timeout_s or None,
        )
        if ended.timed_out:
            note = f"timed out after {timeout_s:g} s"
            log.write(f"{note}\n")
            return ended.code if ended.code != 0 else 124, note
        return ended.code, None


def _prepare_outputs(plan: StepPlan, step_dir: Path) -> None:
    """Empty the outputs under the step folder (a re-run starts clean) and create every output's folder."""
    owned = (step_dir / "outputs").resolve()
    for output in plan.outputs.values():
        folder = output.path.parent if output.type == "uri_file" else output.path
        if folder.is_relative_to(owned) and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)


def _reusable(record: Mapping[str, Any] | None, fingerprint: str, plan: StepPlan) -> bool:
    if record is None or record.get("status") != "completed" or record.get("fingerprint") != fingerprint:
        return False
    return all(output.path.exists() for output in plan.outputs.values())


def execute_step(
    plan: StepPlan,
    *,
    run_dir: Path,
    env: Mapping[str, str] | None = None,
    step_env: StepEnv | None = None,
    on_event: Callable[[StepEvent], None] | None = None,
    force: bool = False,
    timeout_s: float | None = None,
) -> StepResult:
    """Run one planned step (or reuse its earlier result) and record it in `run_dir/<step>/step.json`."""
    emit = on_event or (lambda _event: None)
    step_dir = run_dir / plan.name
    record_path = step_dir / RECORD_FILE
    log_path = step_dir / LOG_FILE
    outputs = MappingProxyType({name: out.path for name, out in plan.outputs.items()})
    fingerprint = step_fingerprint(plan)
    record = _read_record(record_path)
    # Like Azure ML, a component marked `is_deterministic: false` is never reused.
    reuse = not force and plan.component.is_deterministic
    if reuse and _reusable(record, fingerprint, plan):
        result = StepResult(
            name=plan.name,
            status="reused",
            started=_parse_iso(record.get("started")),
            ended=_parse_iso(record.get("ended")),
            duration_s=record.get("duration_s"),
            log_path=log_path,
            outputs=outputs,
            exit_code=record.get("exit_code"),
            fingerprint=fingerprint,
        )
        emit(StepEvent(plan.name, "reused", f"reused the earlier result (fingerprint {fingerprint[:12]})"))
        return result

    step_dir.mkdir(parents=True, exist_ok=True)
    started = _now()
    _write_json(
        record_path,
        {"name": plan.name, "status": "running", "started": _iso(started), "fingerprint": fingerprint},
    )
    _prepare_outputs(plan, step_dir.resolve())
    emit(StepEvent(plan.name, "started", f"started: {plan.command}"))
    clock = time.monotonic()
    exit_code, note = _run_process(
        plan,
        environment=step_environment(plan, env=env, step_env=step_env),
        log_path=log_path,
        emit=emit,
        timeout_s=timeout_s,
    )
    ended = _now()
    duration = round(time.monotonic() - clock, 3)
    status: StepStatus = "completed" if exit_code == 0 else "failed"
    reason = None if status == "completed" else note or f"exit code {exit_code}"
    result = StepResult(
        name=plan.name,
        status=status,
        started=started,
        ended=ended,
        duration_s=duration,
        log_path=log_path,
        outputs=outputs,
        exit_code=exit_code,
        fingerprint=fingerprint,
        reason=reason,
    )
    _write_json(record_path, _result_document(result, plan.command))
    if status == "completed":
        emit(StepEvent(plan.name, "completed", f"completed in {duration:.1f} s"))
    else:
        emit(StepEvent(plan.name, "failed", f"failed ({reason}); log: {log_path}"))
    return result


def plan_pipeline(
    job: PipelineJob,
    *,
    run_dir: Path,
    inputs: Mapping[str, object] | None = None,
    resolve_data: DataResolver | None = None,
    cwd: Path | None = None,
) -> tuple[list[str], dict[str, StepPlan], dict[str, tuple[str, str]]]:
    """Resolve a whole job before anything runs: (run order, step plans, pipeline output sources)."""
    order = execution_order(dependencies(job))
    values = pipeline_input_values(job, inputs, cwd=cwd or Path.cwd())
    plans: dict[str, StepPlan] = {}
    for name in order:
        plans[name] = plan_step(
            job.steps[name],
            run_dir=run_dir,
            pipeline_inputs=values,
            step_outputs={done: plan.outputs for done, plan in plans.items()},
            resolve_data=resolve_data,
        )
    return order, plans, pipeline_output_sources(job, plans)


def run_pipeline_job(
    job_file: Path,
    *,
    inputs: Mapping[str, object] | None = None,
    run_dir: Path,
    env: Mapping[str, str] | None = None,
    resolve_data: DataResolver | None = None,
    on_event: Callable[[StepEvent], None] | None = None,
    step_env: StepEnv | None = None,
    force: bool = False,
    step_timeout_s: float | None = None,
) -> PipelineRunResult:
    """Run an Azure ML pipeline job file locally, steps in dependency order, one process each.

    `inputs` override the job's pipeline inputs (paths, numbers, booleans, strings or
    `azureml:name:version`; relative paths are taken from the current folder). `env` adds to this process's
    environment for every step; `step_env(step)` adds per-step variables (e.g. `MLFLOW_RUN_ID`).
    `resolve_data("name:version")` returns the local path of a data asset. Every binding is checked before
    the first step starts; spec and binding problems raise (`PipelineSpecError`, `BindingError`,
    `CycleError`), a failing step does not: it is reported in the result and in `run_dir/run.json`.
    After a failure the remaining steps are skipped, or, with `settings.continue_on_step_failure: true`,
    only the steps that need the failed one. `settings.force_rerun: true` acts as `force`, and components
    marked `is_deterministic: false` always run, as on Azure ML.
    """
    job = load_pipeline_job(Path(job_file))
    run_dir = Path(run_dir).resolve()
    order, plans, sources = plan_pipeline(job, run_dir=run_dir, inputs=inputs, resolve_data=resolve_data)
    emit = on_event or (lambda _event: None)
    run_dir.mkdir(parents=True, exist_ok=True)
    started = _now()
    results: dict[str, StepResult] = {}

    def write_run(status: str) -> None:
        _write_json(
            run_dir / RUN_FILE,
            {
                "job_file": str(job.source),
                "status": status,
                "started": _iso(started),
                "ended": _iso(_now()) if status != "running" else None,
                "inputs": {name: str(value) for name, value in (inputs or {}).items()},
                "order": order,
                "steps": {
                    name: _result_document(result, plans[name].command) for name, result in results.items()
                },
                "outputs": {
                    name: str(plans[step].outputs[output].path)
                    for name, (step, output) in sources.items()
                    if step in results and results[step].ok
                },
            },
        )

    write_run("running")
    for name in order:
        plan = plans[name]
        failed_before = [done for done, result in results.items() if not result.ok]
        blocked = [up for up in plan.upstream if not results[up].ok]
        if blocked or (failed_before and not job.continue_on_step_failure):
            cause = blocked[0] if blocked else failed_before[0]
            reason = f"step '{cause}' did not complete"
            results[name] = StepResult(name=name, status="skipped", reason=reason)
            emit(StepEvent(name, "skipped", f"skipped: {reason}"))
        else:
            results[name] = execute_step(
                plan,
                run_dir=run_dir,
                env=env,
                step_env=step_env,
                on_event=on_event,
                force=force or job.force_rerun,
                timeout_s=step_timeout_s,
            )
        write_run("running")
    status: Literal["completed", "failed"] = (
        "completed" if all(result.ok for result in results.values()) else "failed"
    )
    write_run(status)
    outputs = {
        name: plans[step].outputs[output].path for name, (step, output) in sources.items() if results[step].ok
    }
    return PipelineRunResult(
        status=status,
        steps=MappingProxyType(results),
        outputs=MappingProxyType(outputs),
        run_dir=run_dir,
        job_file=job.source,
    )


def run_command_component(
    component_file: Path,
    *,
    inputs: Mapping[str, object] | None = None,
    outputs: Mapping[str, Path] | None = None,
    run_dir: Path,
    env: Mapping[str, str] | None = None,
    resolve_data: DataResolver | None = None,
    on_event: Callable[[StepEvent], None] | None = None,
    step_env: StepEnv | None = None,
    force: bool = False,
    name: str | None = None,
    timeout_s: float | None = None,
) -> StepResult:
    """Run one command component file as a step named `name` (default: the component's name).

    `inputs` are values for its declared inputs (relative paths from the current folder); `outputs` may
    place some outputs elsewhere (they are created but not emptied); the others go to
    `run_dir/<name>/outputs/<output>/`. Same reuse rules and records as a pipeline step.
    """
    component = load_component(Path(component_file))
    step_name = name or component.name
    cwd = Path.cwd()
    given = {key: InputValue(name=key, value=value, base_dir=cwd) for key, value in (inputs or {}).items()}
    step = Step(
        name=step_name,
        component=component,
        inputs=MappingProxyType(given),
        outputs=MappingProxyType({}),
        environment_variables=MappingProxyType({}),
    )
    unknown = set(outputs or {}) - set(component.outputs)
    if unknown:
        known = ", ".join(sorted(component.outputs)) or "none"
        raise BindingError(
            f"component '{component.name}' declares no outputs {sorted(unknown)} (declared: {known})",
            step=step_name,
        )
    run_dir = Path(run_dir).resolve()
    plan = plan_step(
        step,
        run_dir=run_dir,
        pipeline_inputs={},
        step_outputs={},
        resolve_data=resolve_data,
        output_paths=outputs,
    )
    return execute_step(
        plan,
        run_dir=run_dir,
        env=env,
        step_env=step_env,
        on_event=on_event,
        force=force,
        timeout_s=timeout_s,
    )
