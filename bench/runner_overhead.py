"""The local CI runner's overhead against running the same step commands directly (goal: <= 15 %).

The pipeline measured is built from the step library's cheapest real step, `check-code` (ruff check and
ruff format --check of a folder, through `uv run --frozen`), used once per folder of `src/amlops`, so the
steps are cheap enough to repeat and the runner's own cost (expansion, planning, variables, logging
commands, output capture, act for GitHub) is what shows:

- Azure DevOps: a pipeline `steps: - template: steps/check-code.yml@templates` per folder, run with
  `amlops.ci.azure_devops.run.run_file`; the direct reference runs each expanded step's script with
  `bash --noprofile --norc` in the same environment (what the runner itself launches).
- GitHub (`--github`): a workflow with one job using `./templates/github/actions/check-code` per folder,
  run with act through `amlops.ci.github.run_workflow`; the reference runs the action's script directly.

Prints the median times and the ratio runner / direct (1.15 = the goal). It asserts nothing.

    uv run --frozen python bench/runner_overhead.py [--repeat N] [--github]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from amlops.ci.azure_devops.expand import expand_pipeline
from amlops.ci.azure_devops.options import RunOptions
from amlops.ci.azure_devops.run import run_file
from amlops.lifecycle.commands_run import runner_environment

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.15


def folders() -> list[str]:
    base = ROOT / "src" / "amlops"
    return sorted(
        p.relative_to(ROOT).as_posix() for p in base.iterdir() if p.is_dir() and p.name != "__pycache__"
    )


def azure_devops_pipeline(workdir: Path) -> Path:
    steps = [
        {"template": "steps/check-code.yml@templates", "parameters": {"paths": folder}}
        for folder in folders()
    ]
    document = {
        "resources": {"repositories": [{"repository": "templates", "type": "git", "name": "x/templates"}]},
        "steps": steps,
    }
    path = workdir / "bench-pipeline.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def environment(state: Path) -> dict[str, str]:
    return {**os.environ, **runner_environment(state, repo_root=ROOT)}


def run_azure_devops(pipeline: Path, state: Path) -> None:
    result = run_file(
        pipeline,
        RunOptions(
            repo_root=ROOT,
            state_dir=state,
            repos={"templates": ROOT / "templates" / "azure-devops"},
            env=environment(state),
            out=io.StringIO(),
        ),
    )
    if not result.ok:
        raise SystemExit("the benchmark pipeline failed:\n" + "\n".join(result.log.splitlines()[-40:]))


def direct_azure_devops(pipeline: Path, state: Path, scripts: list[tuple[str, dict[str, str]]]) -> None:
    for script, env in scripts:
        file = state / "direct.sh"
        file.write_text(script, encoding="utf-8")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", str(file)],
            cwd=ROOT,
            env={**environment(state), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"a direct step failed:\n{done.stdout}\n{done.stderr}")


def expanded_scripts(pipeline: Path) -> list[tuple[str, dict[str, str]]]:
    document = expand_pipeline(
        pipeline, repo_root=ROOT, repos={"templates": ROOT / "templates" / "azure-devops"}
    )
    return [
        (str(step["bash"]), {k: str(v) for k, v in (step.get("env") or {}).items()})
        for step in document["steps"]
        if "bash" in step
    ]


def git_copy(target: Path) -> Path:
    """The tracked files in a fresh git repository with an origin remote (what act needs), so the GitHub
    runner works on it in place instead of copying the working tree on every run."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost"}
    env |= {
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@localhost",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, text=True, check=True
    )
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://github.com/local/bench.git"],
    ):
        subprocess.run(["git", "-C", str(target), *args], env=env, check=True, capture_output=True)
    return target


def commit(target: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost"}
    env |= {
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@localhost",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    # Packed like a clone or a repository git has gc'ed: act copies `.git` into each job's workspace, and
    # ~2,000 loose objects from this fresh commit would measure how the bench built its repository.
    for args in (
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "bench"],
        ["repack", "-a", "-d", "-q"],
        ["prune-packed", "-q"],
    ):
        subprocess.run(["git", "-C", str(target), *args], env=env, check=True, capture_output=True)


def github_workflow(workdir: Path) -> Path:
    steps = [{"uses": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"}]
    steps += [{"uses": "./templates/github/actions/check-code", "with": {"paths": f}} for f in folders()]
    document = {
        "name": "bench",
        "on": {"push": None},
        "permissions": {},
        "jobs": {"lint": {"runs-on": "ubuntu-latest", "permissions": {"contents": "read"}, "steps": steps}},
    }
    path = workdir / ".github" / "workflows" / "bench.yml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def median_seconds(action: Callable[[], None], repeat: int) -> float:
    action()  # warm-up: caches, imports, first uv resolution
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, runner: float, direct: float, steps: int) -> None:
    ratio = runner / direct
    per_step = (runner - direct) * 1000 / steps
    verdict = "within" if ratio <= GOAL else "over"
    print(
        f"{name}: {steps} steps; runner {runner * 1000:.0f} ms, direct {direct * 1000:.0f} ms, "
        f"ratio {ratio:.3f} ({verdict} the goal {GOAL:.2f}); overhead {per_step:.0f} ms/step"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--github", action="store_true", help="also measure the GitHub runner (act)")
    args = parser.parse_args(argv)
    if shutil.which("uv") is None:
        print("uv is not on PATH; the steps run `uv run --frozen ruff`")
        return 1
    with tempfile.TemporaryDirectory(prefix="amlops-bench-") as temporary:
        workdir = Path(temporary)
        state = workdir / "state"
        state.mkdir()
        pipeline = azure_devops_pipeline(workdir)
        scripts = expanded_scripts(pipeline)
        runner = median_seconds(lambda: run_azure_devops(pipeline, state), args.repeat)
        direct = median_seconds(lambda: direct_azure_devops(pipeline, state, scripts), args.repeat)
        report("azure-devops", runner, direct, len(scripts))
        if args.github:
            from amlops.ci.github import run_workflow

            repo = git_copy(workdir / "repo")
            workflow = github_workflow(repo)
            commit(repo)
            action = yaml.safe_load((ROOT / "templates/github/actions/check-code/action.yml").read_text())
            script = action["runs"]["steps"][0]["run"]

            def run_github() -> None:
                result = run_workflow(
                    workflow, event="push", repo_root=repo, env=runner_environment(state, repo_root=ROOT)
                )
                if not result.ok:
                    raise SystemExit("the benchmark workflow failed:\n" + result.log[-4000:])

            gh_scripts = [(script, {"CHECK_PATHS": f}) for f in folders()]
            runner = median_seconds(run_github, args.repeat)
            direct = median_seconds(lambda: direct_azure_devops(pipeline, state, gh_scripts), args.repeat)
            report("github (act)", runner, direct, len(gh_scripts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
