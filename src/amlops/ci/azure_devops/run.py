"""Run an Azure Pipelines file on this machine: expand, parse and plan it, then run the plan.

Stages and jobs run one at a time in dependency order (`scheduling`); steps run on the host (`steps`).

Variables: pipeline, stage and job variables (mapping or list form, groups from a local file), queue-time
`--var`s, predefined variables (`predefined`: `Build.SourcesDirectory` is the repository root,
`Pipeline.Workspace` the run folder), `$(macro)` substitution (unknown macros stay as written, as on
Azure), `$[ ]` runtime expressions with `dependencies`/`stageDependencies` outputs (`variables`), and
`##vso[...]` logging commands (`logging_commands`).

Approvals (`amlops.ci.approvals`, the rule of both dialects): a deployment job whose environment is
protected (a `prod` or `production` part, e.g. `prod`, `ml-prod`, `production-eu`) needs approval;
`--approve` grants it, otherwise the run stops before that job with a message (exit code 3).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from amlops.ci.azure_devops import tasks
from amlops.ci.azure_devops.expand import expand_pipeline
from amlops.ci.azure_devops.log import Printer
from amlops.ci.azure_devops.options import RunOptions, host_environment
from amlops.ci.azure_devops.parse import parse_pipeline
from amlops.ci.azure_devops.plan import plan_pipeline
from amlops.ci.azure_devops.predefined import RUN_FOLDERS, load_counters, predefined_variables, save_counters
from amlops.ci.azure_devops.scheduling import Scheduler
from amlops.ci.azure_devops.statuses import WAITING
from amlops.ci.azure_devops.steps import StepRunner
from amlops.ci.azure_devops.variables import Variables
from amlops.ci.result import Record, RunResult, overall
from amlops.ci.run_dirs import numbered_run_dir


def run_file(path: Path, options: RunOptions) -> RunResult:
    """Expand, plan and run the Azure Pipelines file at `path`."""
    repo_root = options.repo_root.resolve()
    log: list[str] = []
    records: list[Record] = []
    printer = Printer(options.out, log)
    build_id, run_dir = numbered_run_dir(options.state_dir / "ci-runs")
    for sub in RUN_FOLDERS:
        (run_dir / sub).mkdir(exist_ok=True)
    predefined = predefined_variables(
        build_id=build_id,
        run_dir=run_dir,
        repo_root=repo_root,
        definition=path.stem,
        event=options.event,
        head=tasks.git_head(repo_root),
        now=datetime.now(UTC),
        variables=options.variables,
    )
    doc = expand_pipeline(
        path,
        repo_root=repo_root,
        repos=options.repos,
        parameters=options.parameters,
        variables={**predefined, **options.variables},
        limits=options.limits,
        webhooks=options.webhooks,
    )
    plan = plan_pipeline(parse_pipeline(doc, path.stem))
    counters = load_counters(options.state_dir)
    scheduler = Scheduler(options, StepRunner(options, run_dir, printer, records), printer, counters)
    root_vars = Variables()
    for name, value in predefined.items():
        root_vars.set(name, value)
    # An agent's job access token and OIDC issuer, when the machine has them (the tests' emulated
    # Azure DevOps issuer): System.AccessToken is secret and reaches a step only through its env: map.
    host = host_environment(options)
    if host.get("SYSTEM_ACCESSTOKEN"):
        root_vars.set("System.AccessToken", host["SYSTEM_ACCESSTOKEN"], secret=True, readonly=True)
    if host.get("SYSTEM_OIDCREQUESTURI"):
        root_vars.set("System.OidcRequestUri", host["SYSTEM_OIDCREQUESTURI"], readonly=True)
    scheduler.define(root_vars, plan.pipeline.variables, {}, "the pipeline")
    for name, value in options.variables.items():
        root_vars.set(name, value)
    printer(f"Run {build_id} of {path.name} in {run_dir}")
    stage_results = scheduler.run(plan, root_vars)
    save_counters(options.state_dir, counters)
    jobs = scheduler.jobs
    waiting = any(j.status == WAITING for j in jobs)
    return RunResult(
        status=overall([*stage_results.values(), *(j.status for j in jobs)], waiting=waiting),
        jobs={j.key: j.freeze() for j in jobs},
        stages=dict(stage_results),
        pending_approvals=() if scheduler.held is None else (scheduler.held,),
        records=tuple(records),
        log="\n".join(log),
        run_dir=run_dir,
    )
