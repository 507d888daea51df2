"""Run an Azure Pipelines file on this machine.

Stages and jobs run one at a time in dependency order. Steps run on the host: `script`/`bash` with
`bash --noprofile --norc` (as the Azure agent does on Linux: no `set -e`; the step fails when the script
exits non-zero), `pwsh`/`powershell` with `pwsh` if it is installed, `checkout` is a no-op (the working
copy is the checkout), and the tasks in `amlops.ci.execute.tasks` run as local equivalents.

Variables: pipeline, stage and job variables (mapping or list form, groups from a local file), queue-time
`--var`s, predefined variables (`Build.SourcesDirectory` is the repository root, `Pipeline.Workspace` the
run folder), `$(macro)` substitution (unknown macros stay as written, as on Azure), `$[ ]` runtime
expressions with `dependencies`/`stageDependencies` outputs, and `##vso[...]` logging commands.

Approvals: a deployment job whose environment name has a `prod` or `production` part (split at `-`, `_`,
`.` and spaces, e.g. `prod`, `ml-prod`, `production-eu`) needs approval; `--approve` grants it, otherwise
the run stops before that job with a message (exit code 3, "refused").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from amlops import processes
from amlops.ci.errors import PipelineError
from amlops.ci.execute import tasks
from amlops.ci.execute.logging_commands import parse_line
from amlops.ci.expand import Limits, expand_pipeline
from amlops.ci.expr import Context, ExpressionError, evaluate, to_bool
from amlops.ci.expr.evaluator import to_string
from amlops.ci.parse.azure_devops import DEFAULT_STAGE, Step, Variable, parse_pipeline
from amlops.ci.plan import PlannedJob, PlannedStage, plan_pipeline
from amlops.ci.result import Approval, JobResult, JobRun, Record, RunResult, Status, StepResult, overall
from amlops.ci.signin import ServiceConnection
from amlops.yamlsource import Loc

SUCCEEDED, WITH_ISSUES, FAILED, SKIPPED, WAITING = (
    Status.SUCCEEDED,
    Status.SUCCEEDED_WITH_ISSUES,
    Status.FAILED,
    Status.SKIPPED,
    Status.WAITING_FOR_APPROVAL,
)
WORDS: dict[Status, str] = {
    SUCCEEDED: "Succeeded",
    WITH_ISSUES: "SucceededWithIssues",
    FAILED: "Failed",
    SKIPPED: "Skipped",
    WAITING: "WaitingForApproval",
}
"""Azure Pipelines' names of the statuses: what `dependencies.<name>.result`, `Agent.JobStatus`, the log
and the summary show."""
MACRO = re.compile(r"\$\(([A-Za-z0-9_][A-Za-z0-9_.\- ]*)\)")
REASONS = {
    "push": "IndividualCI",
    "pull_request": "PullRequest",
    "schedule": "Schedule",
    "workflow_dispatch": "Manual",
    "manual": "Manual",
}


def skip_reason(written: str | None, effective: str, dependencies: Mapping[str, Status], what: str) -> str:
    """Why a stage or job whose condition was false did not run: the dependencies that did not succeed
    when the condition is the default `succeeded()`, else the condition as written."""
    if written is None:
        unmet = [f"dependency {what} '{n}': {WORDS[r]}" for n, r in dependencies.items() if not r.ok]
        if unmet:
            return ", ".join(unmet)
    return f"condition: {(written if written is not None else effective).strip()} was false"


def requires_approval(environment: str) -> bool:
    parts = re.split(r"[-_.\s]+", environment.lower())
    return any(p in ("prod", "production") for p in parts)


@dataclass
class RunOptions:
    repo_root: Path
    state_dir: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    repos: Mapping[str, Path] = field(default_factory=dict)
    var_groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    approve: bool = False
    event: str = "manual"
    env: Mapping[str, str] | None = None
    out: TextIO | None = None
    limits: Limits | None = None
    webhooks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """`resources.webhooks` alias -> payload of the event that started the run."""
    service_connections: Mapping[str, ServiceConnection] = field(default_factory=dict)
    """Service connection name -> its identifiers, for the tasks that sign in (AzureCLI@2)."""


@dataclass
class _Step:
    """A step while the job runs. `message`: a failed step's error, or why a skipped step was skipped."""

    name: str
    label: str
    status: Status
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    def freeze(self) -> StepResult:
        return StepResult(self.name, self.label, self.status, dict(self.outputs), self.message)


@dataclass
class _Job:
    """A job while the run goes on. `message`: why it was skipped or waits; `display_name`: its
    `displayName` with macros expanded; `ran`: it got as far as its steps; `lines`: what they printed."""

    stage: str
    name: str
    status: Status
    steps: list[_Step] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    message: str = ""
    display_name: str = ""
    ran: bool = False
    lines: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.name if self.stage == DEFAULT_STAGE else f"{self.stage}/{self.name}"

    def freeze(self) -> JobResult:
        steps = tuple(step.freeze() for step in self.steps)
        run = JobRun(self.status, steps, lines=tuple(self.lines), name=self.display_name)
        return JobResult(self.status, (run,) if self.ran else (), self.message, self.display_name)


class Variables:
    """Case-insensitive variables with secret and read-only flags."""

    def __init__(self, parent: Variables | None = None) -> None:
        self._data: dict[str, tuple[str, str]] = dict(parent._data) if parent else {}
        self.secrets: set[str] = set(parent.secrets) if parent else set()
        self.readonly: set[str] = set(parent.readonly) if parent else set()

    def set(self, name: str, value: str, *, secret: bool = False, readonly: bool = False) -> None:
        key = name.upper()
        if key in self.readonly:
            return
        self._data[key] = (name, value)
        if secret:
            self.secrets.add(key)
        if readonly:
            self.readonly.add(key)

    def get(self, name: str) -> str | None:
        item = self._data.get(name.upper())
        return None if item is None else item[1]

    def as_dict(self) -> dict[str, str]:
        return dict(self._data.values())

    def secret_values(self) -> list[str]:
        return [self._data[k][1] for k in self.secrets if k in self._data and self._data[k][1]]

    def environment(self) -> dict[str, str]:
        return {
            re.sub(r"[.\s]", "_", name).upper(): value
            for key, (name, value) in self._data.items()
            if key not in self.secrets
        }

    def substitute(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            value = self.get(m.group(1).strip())
            return m.group(0) if value is None else value

        return MACRO.sub(one, text) if "$(" in text else text


class _Printer:
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


class Runner:
    def __init__(self, path: Path, options: RunOptions) -> None:
        self.path = path
        self.options = options
        self.repo_root = options.repo_root.resolve()
        self.jobs: list[_Job] = []
        self.records: list[Record] = []
        self.log: list[str] = []
        self.run_dir: Path | None = None
        self.held_environment: str | None = None
        self.print = _Printer(options.out, self.log)
        self.counters_file = options.state_dir / "ci-counters.json"
        self.counters: dict[str, int] = {}
        self.pwsh = shutil.which("pwsh")

    # ------------------------------------------------------------------ setup
    def predefined(self, build_id: int, run_dir: Path) -> dict[str, str]:
        branch, sha = tasks.git_head(self.repo_root)
        source_branch = f"refs/heads/{branch}"
        now = datetime.now(UTC)
        values = {
            "Build.BuildId": str(build_id),
            "Build.BuildNumber": f"{now:%Y%m%d}.{build_id}",
            "Build.SourcesDirectory": str(self.repo_root),
            "Build.Repository.LocalPath": str(self.repo_root),
            "Build.Repository.Name": self.repo_root.name,
            "Build.DefinitionName": self.path.stem,
            "Build.SourceBranch": source_branch,
            "Build.SourceVersion": sha,
            "Build.Reason": REASONS.get(self.options.event, "ResourceTrigger"),
            "Build.ArtifactStagingDirectory": str(run_dir / "a"),
            "Build.StagingDirectory": str(run_dir / "a"),
            "Build.BinariesDirectory": str(run_dir / "b"),
            "Common.TestResultsDirectory": str(run_dir / "TestResults"),
            "System.DefaultWorkingDirectory": str(self.repo_root),
            "System.TeamProject": "local",
            "System.CollectionUri": "https://localhost/",
            "Pipeline.Workspace": str(run_dir),
            "Agent.BuildDirectory": str(run_dir),
            "Agent.TempDirectory": str(run_dir / "_temp"),
            "Agent.OS": "Linux",
            "Agent.Name": "local",
            "Agent.JobStatus": WORDS[SUCCEEDED],
            "TF_BUILD": "True",
        }
        given = {k.upper(): v for k, v in self.options.variables.items()}
        if "BUILD.SOURCEBRANCH" in given:
            values["Build.SourceBranch"] = given["BUILD.SOURCEBRANCH"]
        values["Build.SourceBranchName"] = values["Build.SourceBranch"].rsplit("/", 1)[-1]
        return values

    def new_run_dir(self) -> tuple[int, Path]:
        runs = self.options.state_dir / "ci-runs"
        runs.mkdir(parents=True, exist_ok=True)
        build_id = 1 + max((int(p.name) for p in runs.iterdir() if p.name.isdigit()), default=0)
        while True:
            run_dir = runs / str(build_id)
            try:
                run_dir.mkdir()
                return build_id, run_dir
            except FileExistsError:
                build_id += 1

    def load_counters(self) -> None:
        if self.counters_file.is_file():
            self.counters = json.loads(self.counters_file.read_text(encoding="utf-8"))

    def save_counters(self) -> None:
        self.counters_file.parent.mkdir(parents=True, exist_ok=True)
        self.counters_file.write_text(json.dumps(self.counters, indent=2), encoding="utf-8")

    # ------------------------------------------------------------------ expressions
    def runtime_value(self, text: str, named: dict[str, Any], loc: Loc | None, what: str) -> str:
        stripped = text.strip()
        if not (stripped.startswith("$[") and stripped.endswith("]")):
            return text
        try:
            value = evaluate(
                stripped[2:-1], Context(named=named, counters=self.counters, where="runtime expressions")
            )
        except ExpressionError as exc:
            raise PipelineError(
                f"{what}: error in runtime expression '{stripped}': {exc.message}", loc
            ) from None
        return (
            ""
            if value is None
            else to_string(value)
            if not isinstance(value, (dict, list))
            else json.dumps(value)
        )

    def condition(
        self,
        text: str,
        named: dict[str, Any],
        status: Callable[[str, tuple[str, ...]], bool],
        loc: Loc | None,
        what: str,
    ) -> bool:
        try:
            return to_bool(evaluate(text, Context(named=named, status=status, where="conditions")))
        except ExpressionError as exc:
            column = f" (at column {exc.column})" if exc.column else ""
            raise PipelineError(
                f"condition of {what}: {exc.message}{column} in '{text.strip()}'", loc
            ) from None

    def define(
        self, variables: Variables, items: tuple[Variable, ...], named: dict[str, Any], where: str
    ) -> None:
        for item in items:
            if item.group is not None:
                group = self.options.var_groups.get(item.group)
                if group is None:
                    raise PipelineError(
                        f"variable group '{item.group}' has no local values: list it in a --var-groups file "
                        "(a YAML mapping of group name to variables)",
                        item.loc,
                    )
                for name, value in group.items():
                    variables.set(str(name), to_string(value))
                continue
            value = self.runtime_value(
                item.value,
                {**named, "variables": variables.as_dict()},
                item.loc,
                f"variable '{item.name}' of {where}",
            )
            variables.set(item.name, variables.substitute(value), readonly=item.readonly)

    # ------------------------------------------------------------------ run
    def run(self) -> RunResult:
        options = self.options
        build_id, run_dir = self.new_run_dir()
        self.run_dir = run_dir
        for sub in ("_temp", "a", "b", "TestResults", "artifacts"):
            (run_dir / sub).mkdir(exist_ok=True)
        predefined = self.predefined(build_id, run_dir)
        compile_vars = {**predefined, **options.variables}
        doc = expand_pipeline(
            self.path,
            repo_root=self.repo_root,
            repos=options.repos,
            parameters=options.parameters,
            variables=compile_vars,
            limits=options.limits,
            webhooks=options.webhooks,
        )
        plan = plan_pipeline(parse_pipeline(doc, self.path.stem))
        self.load_counters()
        root_vars = Variables()
        for name, value in predefined.items():
            root_vars.set(name, value)
        # An agent's job access token and OIDC issuer, when the machine has them (the tests' emulated
        # Azure DevOps issuer): System.AccessToken is secret and reaches a step only through its env: map.
        host = self._host_env()
        if host.get("SYSTEM_ACCESSTOKEN"):
            root_vars.set("System.AccessToken", host["SYSTEM_ACCESSTOKEN"], secret=True, readonly=True)
        if host.get("SYSTEM_OIDCREQUESTURI"):
            root_vars.set("System.OidcRequestUri", host["SYSTEM_OIDCREQUESTURI"], readonly=True)
        self.define(root_vars, plan.pipeline.variables, {}, "the pipeline")
        for name, value in options.variables.items():
            root_vars.set(name, value)
        self.print(f"Run {build_id} of {self.path.name} in {run_dir}")
        stage_results: dict[str, Status] = {}
        stage_outputs: dict[str, dict[str, dict[str, Any]]] = {}  # stage -> job -> {result, outputs}
        for planned in plan.stages:
            if self.held_environment is not None:
                stage_results[planned.stage.name] = SKIPPED
                for pj in planned.jobs:
                    self.jobs.append(self._waiting_skip(planned.stage.name, pj, root_vars))
                continue
            stage_results[planned.stage.name] = self.run_stage(
                planned, root_vars, stage_results, stage_outputs
            )
        self.save_counters()
        return self.freeze(stage_results)

    def freeze(self, stage_results: Mapping[str, Status]) -> RunResult:
        waiting = [j for j in self.jobs if j.status == WAITING]
        return RunResult(
            status=overall([*stage_results.values(), *(j.status for j in self.jobs)], waiting=bool(waiting)),
            jobs={j.key: j.freeze() for j in self.jobs},
            stages=dict(stage_results),
            pending_approvals=tuple(Approval(j.key, (self.held_environment or "",)) for j in waiting),
            records=tuple(self.records),
            log="\n".join(self.log),
            run_dir=self.run_dir,
        )

    def _stage_named(
        self,
        stage_results: dict[str, Status],
        stage_outputs: dict[str, dict[str, dict[str, Any]]],
        deps: tuple[str, ...],
    ) -> dict[str, Any]:
        dependencies = {}
        for name in deps:
            outputs: dict[str, str] = {}
            for job_name, info in stage_outputs.get(name, {}).items():
                for key, value in info["outputs"].items():
                    outputs[f"{job_name}.{key}"] = value
            dependencies[name] = {"result": WORDS[stage_results.get(name, SKIPPED)], "outputs": outputs}
        stage_deps = {s: {j: dict(info) for j, info in jobs.items()} for s, jobs in stage_outputs.items()}
        return {"dependencies": dependencies, "stagedependencies": stage_deps}

    @staticmethod
    def _status(
        results: Mapping[str, Status], deps: tuple[str, ...], what: str
    ) -> Callable[[str, tuple[str, ...]], bool]:
        def status(fn: str, names: tuple[str, ...]) -> bool:
            chosen = names or deps
            unknown = [n for n in names if n not in results]
            if unknown:
                raise ExpressionError(f"{fn}(): no {what} named '{unknown[0]}' among the dependencies")
            values = [results[n] for n in chosen]
            if fn == "always":
                return True
            if fn == "canceled":
                return False
            if fn == "succeeded":
                return all(v.ok for v in values)
            if fn == "failed":
                return any(v == FAILED for v in values)
            return all(v.ok or v == FAILED for v in values)  # succeededOrFailed

        return status

    def run_stage(
        self,
        planned: PlannedStage,
        root_vars: Variables,
        stage_results: dict[str, Status],
        stage_outputs: dict[str, dict[str, dict[str, Any]]],
    ) -> Status:
        stage = planned.stage
        named = self._stage_named(stage_results, stage_outputs, planned.depends_on)
        shown = stage.name if stage.name != DEFAULT_STAGE else ""
        run_it = self.condition(
            planned.condition,
            {**named, "variables": root_vars.as_dict()},
            self._status(stage_results, planned.depends_on, "stage"),
            stage.loc,
            f"stage '{stage.name}'",
        )
        stage_outputs[stage.name] = {}
        if not run_it:
            reason = skip_reason(
                stage.condition,
                planned.condition,
                {d: stage_results.get(d, SKIPPED) for d in planned.depends_on},
                "stage",
            )
            self.print(f"== Stage {stage.name}: skipped ({reason})")
            for pj in planned.jobs:
                self.jobs.append(
                    _Job(
                        stage.name,
                        pj.job.name,
                        SKIPPED,
                        message=f"stage skipped: {reason}",
                        display_name=root_vars.substitute(pj.job.display_name),
                    )
                )
                stage_outputs[stage.name][pj.job.name] = {"result": WORDS[SKIPPED], "outputs": {}}
            return SKIPPED
        if shown:
            self.print(f"== Stage {stage.name}")
        stage_vars = Variables(root_vars)
        stage_vars.set("System.StageName", stage.name)
        self.define(stage_vars, stage.variables, named, f"stage '{stage.name}'")
        job_results: dict[str, Status] = {}
        for pj in planned.jobs:
            if self.held_environment is not None:
                job_results[pj.job.name] = SKIPPED
                self.jobs.append(self._waiting_skip(stage.name, pj, stage_vars))
                continue
            jr = self.run_job(stage.name, pj, stage_vars, job_results, stage_outputs)
            job_results[pj.job.name] = jr.status
            stage_outputs[stage.name][pj.job.name] = {"result": WORDS[jr.status], "outputs": dict(jr.outputs)}
        values = set(job_results.values())
        if self.held_environment is not None and WAITING in values:
            return WAITING
        if FAILED in values:
            return FAILED
        if values and values <= {SKIPPED}:
            return SKIPPED
        return WITH_ISSUES if WITH_ISSUES in values else SUCCEEDED

    def _waiting_skip(self, stage: str, pj: PlannedJob, variables: Variables) -> _Job:
        """A job not run because an earlier deployment waits for an approval."""
        return _Job(
            stage,
            pj.job.name,
            SKIPPED,
            message=f"the run waits for approval of environment '{self.held_environment}'",
            display_name=variables.substitute(pj.job.display_name),
        )

    def run_job(
        self,
        stage: str,
        pj: PlannedJob,
        stage_vars: Variables,
        job_results: dict[str, Status],
        stage_outputs: dict[str, dict[str, dict[str, Any]]],
    ) -> _Job:
        job = pj.job
        jr = _Job(stage, job.name, SUCCEEDED, display_name=stage_vars.substitute(job.display_name))
        self.jobs.append(jr)
        outputs_of = {
            name: {
                "result": WORDS[job_results.get(name, SKIPPED)],
                "outputs": stage_outputs.get(stage, {}).get(name, {}).get("outputs", {}),
            }
            for name in pj.depends_on
        }
        previous = {
            s: {j: dict(i) for j, i in jobs.items()} for s, jobs in stage_outputs.items() if s != stage
        }
        named = {"dependencies": outputs_of, "stagedependencies": previous}
        run_it = self.condition(
            pj.condition,
            {**named, "variables": stage_vars.as_dict()},
            self._status(job_results, pj.depends_on, "job"),
            job.loc,
            f"job '{job.name}'",
        )
        title = f"{stage}/{job.name}" if stage != DEFAULT_STAGE else job.name
        if not run_it:
            jr.status = SKIPPED
            jr.message = skip_reason(
                job.condition, pj.condition, {d: job_results.get(d, SKIPPED) for d in pj.depends_on}, "job"
            )
            self.print(f"== Job {title}: skipped ({jr.message})")
            return jr
        if job.kind == "deployment" and job.environment and requires_approval(job.environment):
            if not self.options.approve:
                jr.status = WAITING
                jr.message = f"environment '{job.environment}' requires approval"
                self.held_environment = job.environment
                self.print(
                    f"== Job {title}: waiting for approval of environment '{job.environment}'. "
                    "Nothing after it runs; rerun with --approve to approve it locally."
                )
                return jr
            self.print(f"== Job {title}: environment '{job.environment}' approved by --approve")
        self.print(f"== Job {title}")
        jr.ran = True
        job_vars = Variables(stage_vars)
        job_vars.set("System.JobName", job.name)
        job_vars.set("Agent.JobName", jr.display_name or job.name)
        job_vars.set("System.JobDisplayName", jr.display_name or job.name)
        if job.environment:
            job_vars.set("Environment.Name", job.environment)
        self.define(job_vars, job.variables, named, f"job '{job.name}'")
        if job.display_name:  # with the job's own variables too
            jr.display_name = job_vars.substitute(job.display_name)
            job_vars.set("Agent.JobName", jr.display_name)
            job_vars.set("System.JobDisplayName", jr.display_name)
        self.print.masks.update(job_vars.secret_values())
        steps: list[tuple[str, Step]] = [("", s) for s in job.steps]
        failed = False
        issues = False
        hooks = list(job.hooks)
        sequence: list[tuple[str, Step]] = []
        if job.kind == "deployment":
            for hook, hook_steps in hooks:
                if not hook.startswith("on."):
                    sequence.extend((hook, s) for s in hook_steps)
        else:
            sequence = steps
        deadline = time.monotonic() + job.timeout_minutes * 60 if job.timeout_minutes else None
        for index, (_hook, step) in enumerate(sequence):
            result = self.run_step(step, index, job_vars, jr, failed, title, deadline)
            failed = failed or result == FAILED
            issues = issues or result == WITH_ISSUES
        if job.kind == "deployment":
            wanted = "on.failure" if failed else "on.success"
            for hook, hook_steps in hooks:
                if hook == wanted:
                    for index, step in enumerate(hook_steps, start=len(sequence)):
                        result = self.run_step(step, index, job_vars, jr, failed, title, deadline)
                        failed = failed or result == FAILED
        if failed:
            jr.status = WITH_ISSUES if job.continue_on_error else FAILED
        elif issues:
            jr.status = WITH_ISSUES
        self.print(f"== Job {title}: {WORDS[jr.status]}")
        return jr

    # ------------------------------------------------------------------ steps
    def run_step(  # noqa: PLR0917 (internal helper)
        self,
        step: Step,
        index: int,
        job_vars: Variables,
        jr: _Job,
        failed: bool,
        title: str,
        deadline: float | None,
    ) -> Status:
        name = step.name or f"step{index + 1}"
        label = job_vars.substitute(step.display_name) if step.display_name else step.label
        sr = _Step(name, label, SUCCEEDED)
        jr.steps.append(sr)
        if not step.enabled:
            sr.status = SKIPPED
            sr.message = "enabled: false"
            self.print(f"-- {label}: skipped (enabled: false)")
            return SKIPPED
        condition = step.condition if step.condition is not None else "succeeded()"

        def status(fn: str, names: tuple[str, ...]) -> bool:
            if fn in {"always", "succeededorfailed"}:
                return True
            if fn == "canceled":
                return False
            return failed if fn == "failed" else not failed

        if not self.condition(
            condition, {"variables": job_vars.as_dict()}, status, step.loc, f"step '{label}'"
        ):
            sr.status = SKIPPED
            sr.message = (
                f"condition: {step.condition.strip()} was false"
                if step.condition is not None
                else "a previous step failed"
            )
            self.print(f"-- {label}: skipped ({sr.message})")
            return SKIPPED
        self.print(f"-- {label}")
        job_vars.set("Agent.JobStatus", WORDS[FAILED if failed else SUCCEEDED])
        try:
            ok, message, complete = self.execute(step, name, job_vars, jr, deadline)
        except tasks.TaskError as exc:
            ok, message, complete = False, f"{step.body}: {exc}", None
        if complete is not None:
            sr.status = complete
        else:
            sr.status = SUCCEEDED if ok else FAILED
        if sr.status == FAILED and step.continue_on_error:
            sr.status = WITH_ISSUES
        sr.message = message
        if message:
            self.print(f"##[error]{message}" if sr.status in (FAILED, WITH_ISSUES) else message)
        self.print(f"-- {label}: {WORDS[sr.status]}")
        return sr.status

    def execute(
        self, step: Step, name: str, job_vars: Variables, jr: _Job, deadline: float | None
    ) -> tuple[bool, str, Status | None]:
        sub = job_vars.substitute
        inputs = {k: sub(v) for k, v in step.inputs}
        if step.kind == "publish":
            inputs.setdefault("targetPath", sub(step.body))
        elif step.kind == "download":
            inputs.setdefault(
                "source", "current" if step.body.strip() in ("current", "") else step.body.strip()
            )
        env_extra = {k: sub(v) for k, v in step.env}
        workdir = sub(step.working_directory) if step.working_directory else None
        if step.kind == "checkout":
            target = step.body.strip() or "self"
            text = (
                "nothing checked out" if target == "none" else f"using the working copy at {self.repo_root}"
            )
            if target not in ("self", "none"):
                local = self.options.repos.get(target.split("@")[0])
                text = (
                    f"repository '{target}' at {local}"
                    if local
                    else f"repository '{target}' is not checked out"
                )
            self.print(f"checkout {target}: {text}")
            return True, "", None
        # the step's environment: the host's, the job's variables, then (a task's own and) the step's env:
        base_env = {**self._host_env(), **job_vars.environment()}
        if step.kind in ("script", "bash"):
            launch = tasks.Launch("bash", sub(step.body), {}, step.fail_on_stderr, workdir)
        elif step.kind in ("pwsh", "powershell"):
            launch = tasks.Launch("pwsh", sub(step.body), {}, step.fail_on_stderr, workdir)
        else:
            reference = step.body if step.kind == "task" else step.kind
            handler = tasks.find_handler(reference)
            if handler is None:
                known = ", ".join(sorted(k for k in tasks.TASKS if "@" in k))
                return False, f"task '{reference}' has no local equivalent (known: {known})", None
            run_dir = self.run_dir
            assert run_dir is not None
            outcome = handler(
                inputs,
                tasks.TaskEnv(
                    run_dir,
                    run_dir / "artifacts",
                    run_dir,
                    self.repo_root,
                    jr.name,
                    self.records,
                    {**base_env, **env_extra},
                    self.options.service_connections,
                ),
            )
            for line in outcome.lines:
                self.output(line, jr)
            if isinstance(outcome, tasks.Done):
                return outcome.ok, "", None
            launch = outcome
            if launch.working_directory:
                workdir = launch.working_directory
        env = {**base_env, **launch.env, **env_extra}
        timeout = step.timeout_minutes * 60 if step.timeout_minutes else None
        if deadline is not None:
            left = max(deadline - time.monotonic(), 0.1)
            timeout = min(timeout, left) if timeout else left
        return self.launch(launch, name, env, workdir, timeout, job_vars, jr)

    def _host_env(self) -> dict[str, str]:
        return dict(self.options.env if self.options.env is not None else os.environ)

    def launch(  # noqa: PLR0917 (internal helper)
        self,
        launch: tasks.Launch,
        step_name: str,
        env: dict[str, str],
        workdir: str | None,
        timeout: float | None,
        job_vars: Variables,
        jr: _Job,
    ) -> tuple[bool, str, Status | None]:
        run_dir = self.run_dir
        assert run_dir is not None
        if launch.shell == "pwsh":
            if self.pwsh is None:
                return (
                    False,
                    (
                        "PowerShell (pwsh) is not installed here, so this PowerShell step cannot run "
                        "locally; install PowerShell 7 or write the step in bash"
                    ),
                    None,
                )
            script = run_dir / "_temp" / f"{uuid.uuid4().hex}.ps1"
            script.write_text(
                "$ErrorActionPreference = 'Stop'\n" + launch.script + "\nexit $LASTEXITCODE\n",
                encoding="utf-8",
            )
            argv = [self.pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-File", str(script)]
        else:
            script = run_dir / "_temp" / f"{uuid.uuid4().hex}.sh"
            script.write_text(launch.script, encoding="utf-8")
            argv = ["bash", "--noprofile", "--norc", str(script)]
        cwd = Path(workdir) if workdir else self.repo_root
        if not cwd.is_absolute():
            cwd = self.repo_root / cwd
        if not cwd.is_dir():
            return False, f"working directory {cwd} does not exist", None
        wrote_stderr = False
        complete: Status | None = None

        def on_line(line: processes.Line) -> None:
            nonlocal wrote_stderr, complete
            if line.stream == "stderr" and line.text.strip():
                wrote_stderr = True
            command = parse_line(line.text)
            if command is None:
                self.output(line.text, jr)
                return
            complete = self.logging_command(command, step_name, job_vars, jr, line.text) or complete

        ended = processes.supervise(
            processes.start(argv, cwd=cwd, env=env), on_line=on_line, timeout_s=timeout
        )
        if ended.timed_out:
            return False, f"the step timed out after {ended.elapsed_s / 60:.2f} minutes", None
        code = ended.code
        if code != 0:
            return (
                False,
                f"bash exited with code {code}" if launch.shell == "bash" else f"exit code {code}",
                complete,
            )
        if launch.fail_on_stderr and wrote_stderr:
            return False, "the step wrote to stderr and failOnStderr is true", complete
        return True, "", complete

    def output(self, line: str, jr: _Job) -> None:
        """A line a step printed: into the log and the job's own lines (secrets masked in both)."""
        jr.lines.append(self.print.mask(line))
        self.print(line)

    def logging_command(
        self, command: Any, step_name: str, job_vars: Variables, jr: _Job, line: str
    ) -> Status | None:
        key = f"{command.area}.{command.action}"
        if key == "task.setvariable":
            variable = command.properties.get("variable", "")
            if not variable:
                self.print("##[warning]task.setvariable without variable=")
                return None
            secret = command.flag("issecret")
            if secret and command.message:
                self.print.masks.add(command.message)
            if command.flag("isoutput"):
                jr.outputs[f"{step_name}.{variable}"] = command.message
                jr.steps[-1].outputs[variable] = command.message
                job_vars.set(f"{step_name}.{variable}", command.message, secret=secret)
            else:
                job_vars.set(variable, command.message, secret=secret, readonly=command.flag("isreadonly"))
            shown = "***" if secret else command.message
            self.print(
                f"##[debug]set variable {variable}{' (output)' if command.flag('isoutput') else ''} = {shown}"
            )
            return None
        if key == "task.logissue":
            kind = command.properties.get("type", "warning").lower()
            self.print(f"##[{'error' if kind == 'error' else 'warning'}]{command.message}")
            return None
        if key == "task.complete":
            result = command.properties.get("result", "Succeeded")
            mapping = {"succeeded": SUCCEEDED, "succeededwithissues": WITH_ISSUES, "failed": FAILED}
            if command.message:
                self.print(command.message)
            return mapping.get(result.lower(), FAILED)
        if key == "task.prependpath":
            path = command.message.strip()
            current = job_vars.get("PATH") or os.environ.get("PATH", "")
            job_vars.set("PATH", f"{path}{os.pathsep}{current}")
            return None
        if key in (
            "build.updatebuildnumber",
            "build.addbuildtag",
            "task.setprogress",
            "task.uploadsummary",
            "task.uploadfile",
            "artifact.upload",
            "task.addattachment",
        ):
            self.records.append(Record(key, properties={"message": command.message, **command.properties}))
            return None
        self.print(line)
        return None


def run_file(path: Path, options: RunOptions) -> RunResult:
    """Expand, plan and run the Azure Pipelines file at `path`."""
    return Runner(path, options).run()
