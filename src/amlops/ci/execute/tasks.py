"""Local equivalents of the Azure Pipelines tasks the step library uses.

Each handler gets the task's inputs (macros already substituted) and a `TaskEnv` with what it may need;
it returns a `Launch` (a command to run) or a `Done` (work already done in Python). A task without a
handler fails with its name: nothing is skipped silently.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from amlops.ci.result import Record
from amlops.ci.signin import SERVICE_CONNECTIONS, ServiceConnection, SignInError, azure_cli_task
from amlops.errors import FailedError


@dataclass(frozen=True)
class Launch:
    """Run `script` with `shell` ("bash" or "pwsh"); `env` adds to the step's environment."""

    shell: str
    script: str
    env: Mapping[str, str] = field(default_factory=dict)
    fail_on_stderr: bool = False
    working_directory: str | None = None
    lines: tuple[str, ...] = ()
    """Printed before the script runs (what the task did first, e.g. its sign-in)."""


@dataclass(frozen=True)
class Done:
    ok: bool
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskEnv:
    run_dir: Path
    artifacts: Path
    workspace: Path
    sources: Path
    job_name: str
    records: list[Record]
    environ: Mapping[str, str] = field(default_factory=dict)
    """The step's environment (the host's and the job's variables), for tasks that sign in."""
    service_connections: Mapping[str, ServiceConnection] = field(default_factory=dict)


class TaskError(FailedError):
    """The task cannot run locally (bad inputs, missing tool); the step fails with this message."""


Handler = Callable[[Mapping[str, str], TaskEnv], Launch | Done]
TASKS: dict[str, Handler] = {}


def task(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            TASKS[name.lower()] = fn
        return fn

    return register


def _get(inputs: Mapping[str, str], *names: str, default: str = "") -> str:
    lowered = {k.lower(): v for k, v in inputs.items()}
    for name in names:
        if lowered.get(name.lower(), "") != "":
            return lowered[name.lower()]
    return default


def _true(inputs: Mapping[str, str], name: str) -> bool:
    return _get(inputs, name).strip().lower() == "true"


def _script_launch(
    inputs: Mapping[str, str],
    shell: str,
    *,
    inline_key: str,
    path_key: str,
    location: str,
    env: Mapping[str, str] | None = None,
) -> Launch:
    if location == "inline":
        script = _get(inputs, inline_key)
    else:
        path = _get(inputs, path_key)
        if not path:
            raise TaskError(f"input '{path_key}' is required when the script comes from a file")
        args = _get(inputs, "arguments")
        script = (f"bash '{path}' {args}" if shell == "bash" else f"& '{path}' {args}").rstrip()
    return Launch(
        shell,
        script,
        env or {},
        _true(inputs, "failOnStderr"),
        _get(inputs, "workingDirectory", "cwd") or None,
    )


@task("CmdLine@2")
def _cmdline(inputs: Mapping[str, str], env: TaskEnv) -> Launch:
    return _script_launch(inputs, "bash", inline_key="script", path_key="filePath", location="inline")


@task("Bash@3")
def _bash(inputs: Mapping[str, str], env: TaskEnv) -> Launch:
    target = _get(inputs, "targetType", default="filePath" if _get(inputs, "filePath") else "inline").lower()
    return _script_launch(
        inputs,
        "bash",
        inline_key="script",
        path_key="filePath",
        location="inline" if target == "inline" else "file",
    )


@task("PowerShell@2")
def _powershell(inputs: Mapping[str, str], env: TaskEnv) -> Launch:
    target = _get(inputs, "targetType", default="filePath" if _get(inputs, "filePath") else "inline").lower()
    return _script_launch(
        inputs,
        "pwsh",
        inline_key="script",
        path_key="filePath",
        location="inline" if target == "inline" else "file",
    )


@task("AzureCLI@2")
def _azure_cli(inputs: Mapping[str, str], env: TaskEnv) -> Launch:
    """Signs in through the service connection first (see amlops.ci.signin), then runs the script."""
    script_type = _get(inputs, "scriptType", default="bash").lower()
    shells = {"bash": "bash", "pscore": "pwsh", "ps": "pwsh"}
    if script_type not in shells:
        raise TaskError(f"scriptType '{script_type}' cannot run here (use bash or pscore)")
    name = _get(inputs, "azureSubscription", "connectedServiceNameARM")
    if not name:
        raise TaskError("input 'azureSubscription' (the service connection) is required")
    connection = env.service_connections.get(name)
    if connection is None:
        known = ", ".join(sorted(env.service_connections)) or "none"
        raise TaskError(
            f"service connection '{name}' is not declared for local runs: add it to {SERVICE_CONNECTIONS} "
            "beside the pipeline file "
            f"(id, clientId, tenantId, subscriptionId; declared: {known})"
        )
    try:
        signed_in = azure_cli_task(connection, env.environ, spn=_true(inputs, "addSpnToEnvironment"))
    except SignInError as exc:
        raise TaskError(exc.message) from None
    location = _get(
        inputs, "scriptLocation", default="inlineScript" if _get(inputs, "inlineScript") else "scriptPath"
    )
    launch = _script_launch(
        inputs,
        shells[script_type],
        inline_key="inlineScript",
        path_key="scriptPath",
        location="inline" if location.lower() == "inlinescript" else "file",
        env={**signed_in, "AZURE_SUBSCRIPTION_ID": connection.subscription_id},
    )
    line = (
        f"AzureCLI@2 (local stand-in): signed in through service connection '{name}' as client "
        f"{connection.client_id} in tenant {connection.tenant_id} (workload identity federation); "
        "az itself is not signed in"
    )
    return replace(launch, lines=(line,))


@task("UsePythonVersion@0")
def _use_python(inputs: Mapping[str, str], env: TaskEnv) -> Done:
    spec = _get(inputs, "versionSpec", default="3.x").strip()
    have = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    wanted = [p for p in spec.split(".") if p not in ("x", "*", "")]
    matches = have.split(".")[: len(wanted)] == wanted
    if matches:
        return Done(True, (f"Using the local Python {have} (versionSpec {spec})",))
    return Done(True, (f"##[warning]versionSpec {spec} asked for, but the local Python is {have}; using it",))


def _artifact_name(inputs: Mapping[str, str], env: TaskEnv) -> str:
    return _get(inputs, "artifact", "artifactName", "ArtifactName", default=env.job_name)


@task("PublishPipelineArtifact@1", "PublishBuildArtifacts@1", "publish")
def _publish(inputs: Mapping[str, str], env: TaskEnv) -> Done:
    source = Path(_get(inputs, "targetPath", "path", "PathtoPublish", default=str(env.workspace)))
    if not source.is_absolute():
        source = env.sources / source
    name = _artifact_name(inputs, env)
    if not source.exists():
        raise TaskError(f"nothing to publish: {source} does not exist")
    target = env.artifacts / name
    if target.resolve().is_relative_to(source.resolve()):
        raise TaskError(f"cannot publish {source}: it contains the run's artifact store")
    if target.exists():
        raise TaskError(f"artifact '{name}' was already published in this run")
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir(parents=True)
        shutil.copy2(source, target / source.name)
    env.records.append(Record("artifact", name, (str(target),)))
    return Done(True, (f"Published artifact '{name}' from {source}",))


@task("DownloadPipelineArtifact@2", "DownloadBuildArtifacts@1", "download")
def _download(inputs: Mapping[str, str], env: TaskEnv) -> Done:
    source_kind = _get(inputs, "source", "buildType", default="current").lower()
    if source_kind not in ("current", "current build"):
        raise TaskError(
            f"only artifacts of the current run can be downloaded locally (source: {source_kind})"
        )
    name = _get(inputs, "artifact", "artifactName")
    if name in ("", "current"):
        name = ""
    target_text = _get(inputs, "path", "targetPath", "downloadPath")
    names = (
        [name] if name else sorted(p.name for p in env.artifacts.iterdir()) if env.artifacts.exists() else []
    )
    lines = []
    for artifact in names:
        source = env.artifacts / artifact
        if not source.is_dir():
            raise TaskError(f"artifact '{artifact}' was not published earlier in this run")
        target = Path(target_text) if target_text else env.workspace / artifact
        if target_text and not name:
            target = target / artifact
        if not target.is_absolute():
            target = env.sources / target
        shutil.copytree(source, target, dirs_exist_ok=True)
        lines.append(f"Downloaded artifact '{artifact}' to {target}")
    return Done(True, tuple(lines) or ("No artifacts to download",))


@task("PublishTestResults@2")
def _publish_tests(inputs: Mapping[str, str], env: TaskEnv) -> Done:
    patterns = _get(inputs, "testResultsFiles", default="**/TEST-*.xml").splitlines()
    folder = Path(_get(inputs, "searchFolder", default=str(env.sources)))
    found: list[str] = []
    for pattern in (p.strip() for p in patterns if p.strip()):
        base = pattern if Path(pattern).is_absolute() else str(folder / pattern)
        found.extend(sorted(glob.glob(base, recursive=True)))
    env.records.append(
        Record(
            "test-results",
            files=tuple(found),
            properties={"format": _get(inputs, "testResultsFormat", default="JUnit")},
        )
    )
    if not found:
        return Done(True, ("##[warning]No test result files matched " + ", ".join(patterns),))
    return Done(True, tuple(f"Recorded test results: {f}" for f in found))


def find_handler(reference: str) -> Handler | None:
    return TASKS.get(reference.strip().lower())


def git_head(root: Path) -> tuple[str, str]:
    """(branch, sha) of the working copy at `root`, or ("main", "") when it is not a git repository."""
    try:
        branch = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--abbrev-ref", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return (branch if branch and branch != "HEAD" else "main"), sha
    except (OSError, subprocess.SubprocessError):
        return "main", ""
