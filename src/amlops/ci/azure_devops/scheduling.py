"""Scheduling of an Azure Pipelines run: stages and jobs one at a time in the plan's dependency order,
each stage's and job's condition over its dependencies (`dependencies`/`stageDependencies` outputs),
stage, job and deployment variables, and the approval of protected environments (`amlops.ci.approvals`):
a deployment job to one waits unless the run is approved, and nothing after it runs.
"""

from __future__ import annotations

from typing import Any

from amlops.ci.approvals import needs_approval, pending_approval
from amlops.ci.azure_devops.conditions import condition, dependency_status, skip_reason
from amlops.ci.azure_devops.job_state import JobState
from amlops.ci.azure_devops.log import Printer
from amlops.ci.azure_devops.options import RunOptions
from amlops.ci.azure_devops.parse import DEFAULT_STAGE, Variable
from amlops.ci.azure_devops.plan import Plan, PlannedJob, PlannedStage
from amlops.ci.azure_devops.statuses import FAILED, SKIPPED, SUCCEEDED, WAITING, WITH_ISSUES, WORDS
from amlops.ci.azure_devops.steps import StepRunner
from amlops.ci.azure_devops.variables import Variables, define
from amlops.ci.result import Approval, Status


class Scheduler:
    """Runs the stages and jobs of one plan; `jobs` are the jobs as they went, `held` the approval a
    deployment job waits for (nothing after it runs)."""

    def __init__(
        self, options: RunOptions, steps: StepRunner, log: Printer, counters: dict[str, int]
    ) -> None:
        self.options = options
        self.steps = steps
        self.print = log
        self.counters = counters
        self.jobs: list[JobState] = []
        self.held: Approval | None = None

    def define(
        self, variables: Variables, items: tuple[Variable, ...], named: dict[str, Any], where: str
    ) -> None:
        define(variables, items, named, where, var_groups=self.options.var_groups, counters=self.counters)

    def run(self, plan: Plan, root_vars: Variables) -> dict[str, Status]:
        """Run every stage of `plan` in order; the stages' statuses."""
        stage_results: dict[str, Status] = {}
        stage_outputs: dict[str, dict[str, dict[str, Any]]] = {}  # stage -> job -> {result, outputs}
        for planned in plan.stages:
            if self.held is not None:
                stage_results[planned.stage.name] = SKIPPED
                for pj in planned.jobs:
                    self.jobs.append(self._waiting_skip(planned.stage.name, pj, root_vars))
                continue
            stage_results[planned.stage.name] = self.run_stage(
                planned, root_vars, stage_results, stage_outputs
            )
        return stage_results

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
        run_it = condition(
            planned.condition,
            {**named, "variables": root_vars.as_dict()},
            dependency_status(stage_results, planned.depends_on, "stage"),
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
                    JobState(
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
            if self.held is not None:
                job_results[pj.job.name] = SKIPPED
                self.jobs.append(self._waiting_skip(stage.name, pj, stage_vars))
                continue
            jr = self.run_job(stage.name, pj, stage_vars, job_results, stage_outputs)
            job_results[pj.job.name] = jr.status
            stage_outputs[stage.name][pj.job.name] = {"result": WORDS[jr.status], "outputs": dict(jr.outputs)}
        values = set(job_results.values())
        if self.held is not None and WAITING in values:
            return WAITING
        if FAILED in values:
            return FAILED
        if values and values <= {SKIPPED}:
            return SKIPPED
        return WITH_ISSUES if WITH_ISSUES in values else SUCCEEDED

    def _held_environments(self) -> str:
        return "" if self.held is None else ", ".join(self.held.environments)

    def _waiting_skip(self, stage: str, pj: PlannedJob, variables: Variables) -> JobState:
        """A job not run because an earlier deployment waits for an approval."""
        return JobState(
            stage,
            pj.job.name,
            SKIPPED,
            message=f"the run waits for approval of environment '{self._held_environments()}'",
            display_name=variables.substitute(pj.job.display_name),
        )

    def run_job(
        self,
        stage: str,
        pj: PlannedJob,
        stage_vars: Variables,
        job_results: dict[str, Status],
        stage_outputs: dict[str, dict[str, dict[str, Any]]],
    ) -> JobState:
        job = pj.job
        jr = JobState(stage, job.name, SUCCEEDED, display_name=stage_vars.substitute(job.display_name))
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
        run_it = condition(
            pj.condition,
            {**named, "variables": stage_vars.as_dict()},
            dependency_status(job_results, pj.depends_on, "job"),
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
        environments = (job.environment,) if job.kind == "deployment" and job.environment else ()
        protected = self.options.approval_environments
        if any(needs_approval(e, protected) for e in environments):
            pending = pending_approval(
                jr.key, environments, approve=self.options.approve, protected=protected
            )
            if pending is not None:
                jr.status = WAITING
                jr.message = f"environment '{job.environment}' requires approval"
                self.held = pending
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
        return self.steps.run_steps(job, jr, job_vars, title)
