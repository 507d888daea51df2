"""Step execution of an Azure Pipelines job on this machine: the job's steps in order (a deployment's
lifecycle hooks, then `on.success`/`on.failure`), each step's condition, then the step itself: `script`/
`bash` with `bash --noprofile --norc` (no `set -e`: the step fails when the script exits non-zero),
`pwsh`/`powershell` with `pwsh` if it is installed, `checkout` as a no-op (the working copy is the
checkout), and the tasks of `amlops.ci.azure_devops.tasks` as local equivalents. What a step prints goes
to the log; its `##vso[...]` logging commands apply to the job (`logging_commands.apply`).
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from amlops import processes
from amlops.ci.azure_devops import logging_commands, tasks
from amlops.ci.azure_devops.conditions import condition as evaluate_condition
from amlops.ci.azure_devops.conditions import step_status
from amlops.ci.azure_devops.job_state import JobState, StepState
from amlops.ci.azure_devops.log import Printer
from amlops.ci.azure_devops.logging_commands import Command, parse_line
from amlops.ci.azure_devops.options import RunOptions, host_environment
from amlops.ci.azure_devops.parse import Job, Step
from amlops.ci.azure_devops.statuses import FAILED, SKIPPED, SUCCEEDED, WITH_ISSUES, WORDS
from amlops.ci.azure_devops.variables import Variables
from amlops.ci.result import Record, Status


class StepRunner:
    """Runs the steps of the jobs of one run, in its run folder, printing to its log."""

    def __init__(self, options: RunOptions, run_dir: Path, log: Printer, records: list[Record]) -> None:
        self.options = options
        self.repo_root = options.repo_root.resolve()
        self.run_dir = run_dir
        self.print = log
        self.records = records
        self.pwsh = shutil.which("pwsh")

    def run_steps(self, job: Job, jr: JobState, job_vars: Variables, title: str) -> JobState:
        """Run the steps of `job` (its variables set in `job_vars`) and set the job's status from theirs."""
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

    def run_step(  # noqa: PLR0917 (internal helper)
        self,
        step: Step,
        index: int,
        job_vars: Variables,
        jr: JobState,
        failed: bool,
        title: str,
        deadline: float | None,
    ) -> Status:
        name = step.name or f"step{index + 1}"
        label = job_vars.substitute(step.display_name) if step.display_name else step.label
        sr = StepState(name, label, SUCCEEDED)
        jr.steps.append(sr)
        if not step.enabled:
            sr.status = SKIPPED
            sr.message = "enabled: false"
            self.print(f"-- {label}: skipped (enabled: false)")
            return SKIPPED
        condition = step.condition if step.condition is not None else "succeeded()"
        if not evaluate_condition(
            condition, {"variables": job_vars.as_dict()}, step_status(failed), step.loc, f"step '{label}'"
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
        self, step: Step, name: str, job_vars: Variables, jr: JobState, deadline: float | None
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
        return host_environment(self.options)

    def launch(  # noqa: PLR0917 (internal helper)
        self,
        launch: tasks.Launch,
        step_name: str,
        env: dict[str, str],
        workdir: str | None,
        timeout: float | None,
        job_vars: Variables,
        jr: JobState,
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

    def output(self, line: str, jr: JobState) -> None:
        """A line a step printed: into the log and the job's own lines (secrets masked in both)."""
        jr.lines.append(self.print.mask(line))
        self.print(line)

    def logging_command(
        self, command: Command, step_name: str, job_vars: Variables, jr: JobState, line: str
    ) -> Status | None:
        return logging_commands.apply(
            command,
            step_name=step_name,
            job_vars=job_vars,
            jr=jr,
            line=line,
            log=self.print,
            records=self.records,
        )
