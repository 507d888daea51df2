"""The demo's pipelines (`amlops demo`: PR CI -> train-model -> deploy-model, dev and prod) in a fresh state.

Reference: issue 13's figure, 102 s on 2 cores (train-model 69 s: the Azure ML pipeline 45 s, validate-data
9.5 s, gate 6.4 s, register 6.4 s; deploy 21 s; PR CI the remaining 12 s); goal: 60 s. It renders a project
and runs its pipelines exactly as `amlops demo` does (`amlops.demo_project.run_demo_pipelines`), in a new
state folder, then prints each pipeline's time, each top-level step's time (from the act log: GitHub
dialect only, the Azure DevOps log carries no step times) and each Azure ML pipeline step's time (from
the pipeline run's records), with the ratio to the reference where there is one. Asserts nothing.

    uv run --frozen python bench/demo_bench.py [--answer ci_platform=azure-devops] [--keep DIR]

The served endpoints are stopped at the end (`delete-endpoint --all` on the bench's state).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from amlops.config import ProjectPaths, Settings
from amlops.demo_project import run_demo_pipelines
from amlops.render.command import parse_pairs

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_TOTAL_S = 102.0
GOAL_S = 60.0
REFERENCE_PIPELINES_S = {"pr-ci": 12.0, "train": 69.0, "deploy": 21.0}
"""Issue 13's per-pipeline figures (PR CI: what the total leaves)."""
REFERENCE_STEPS_S = {
    ("train", "Run the training pipeline"): 45.0,
    ("train", "Validate data"): 9.5,
    ("train", "Gate"): 6.4,
    ("train", "Register the model"): 6.4,
}
"""Issue 13's per-step figures of train-model, by (stage, top-level step name)."""

_PIPELINE_START = re.compile(r"^Run of (?P<file>\S+) \(")
_STEP_START = re.compile(r"^\[(?P<job>[^\]]+)\] ⭐ Run Main (?P<name>.+?)\s*$")
_STEP_END = re.compile(
    r"^\[(?P<job>[^\]]+)\]\s+(?:✅|❌)\s+(?P<word>Success|Failure) - Main (?P<name>.+?)"
    r"(?: \[(?P<dur>[^\]]+)\])?\s*$"
)
_GO_DURATION = re.compile(r"(?P<value>[\d.]+)(?P<unit>h|ms|µs|us|ns|m|s)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


def go_duration_s(text: str) -> float:
    """Seconds in a Go duration as act prints it ("1m2.5s", "40.5ms", "25.1µs")."""
    parts = list(_GO_DURATION.finditer(text))
    if not parts or "".join(p.group(0) for p in parts) != text.strip():
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(p.group("value")) * _UNIT_S[p.group("unit")] for p in parts)


@dataclass
class StepTime:
    pipeline: str
    job: str
    name: str
    seconds: float
    ok: bool


@dataclass
class _Stacks:
    open: dict[str, list[str]] = field(default_factory=dict)


def act_step_times(lines: Iterable[str]) -> list[StepTime]:
    """The top-level steps of every job of every pipeline in a lifecycle log of the GitHub dialect.

    Composite actions nest ("⭐ Run Main Gate" then "⭐ Run Main Gate a candidate..."), and parallel
    jobs interleave, so each job keeps a stack of open steps; a step closing on an empty stack is top-level.
    """
    found: list[StepTime] = []
    pipeline = ""
    stacks = _Stacks()
    for raw in lines:
        line = raw.rstrip("\n")
        if started := _PIPELINE_START.match(line):
            pipeline, stacks = started.group("file"), _Stacks()
            continue
        if opened := _STEP_START.match(line):
            stacks.open.setdefault(opened.group("job"), []).append(opened.group("name"))
            continue
        if ended := _STEP_END.match(line):
            stack = stacks.open.setdefault(ended.group("job"), [])
            name = ended.group("name")
            if name in stack:  # closes it and whatever it left open (act omits some closing lines)
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
            if not stack and ended.group("dur"):
                ok = ended.group("word") == "Success"
                seconds = go_duration_s(ended.group("dur"))
                found.append(StepTime(pipeline, ended.group("job"), name, seconds, ok))
    return found


def azureml_step_times(state: Path) -> list[tuple[str, str, str, float]]:
    """(run id, step, status, seconds) of every Azure ML pipeline run in the state, from its run.json."""
    rows = []
    for run_json in sorted((state / "runs").glob("*/run.json")):
        document = json.loads(run_json.read_text(encoding="utf-8"))
        steps = document.get("steps") or {}
        for name in document.get("order") or list(steps):
            step = steps.get(name, {})
            seconds = float(step.get("duration_s") or 0)
            rows.append((run_json.parent.name, name, str(step.get("status")), seconds))
    return rows


def ratio(seconds: float, reference: float | None) -> str:
    return f"{seconds / reference:.2f}" if reference else "-"


def stage_of(pipeline_file: str, stages: dict[str, str]) -> str:
    return stages.get(pipeline_file, "?")


def report(
    pipelines: Sequence[tuple[str, str, str, float]],
    total_s: float,
    steps: Sequence[StepTime],
    azureml: Sequence[tuple[str, str, str, float]],
) -> str:
    """The printed breakdown: pipelines (stage, file, status, s, ratio), steps, Azure ML steps, total."""
    stages = {file: stage for stage, file, _, _ in pipelines}
    out = [f"{'stage':<8} {'pipeline':<20} {'status':<22} {'seconds':>8} {'reference':>9} {'ratio':>6}"]
    for stage, file, status, seconds in pipelines:
        reference = REFERENCE_PIPELINES_S.get(stage)
        shown = f"{reference:9.1f}" if reference else f"{'-':>9}"
        times = f"{seconds:8.1f} {shown} {ratio(seconds, reference):>6}"
        out.append(f"{stage:<8} {file:<20} {status:<22} {times}")
    out.append("")
    out.append(f"{'stage':<8} {'job':<26} {'step':<34} {'seconds':>8} {'reference':>9} {'ratio':>6}")
    for step in steps:
        stage = stage_of(step.pipeline, stages)
        if step.seconds < 0.05:
            continue
        reference = REFERENCE_STEPS_S.get((stage, step.name))
        shown = f"{reference:9.1f}" if reference else f"{'-':>9}"
        name = step.name if len(step.name) <= 34 else step.name[:31] + "..."
        flag = "" if step.ok else " FAILED"
        out.append(
            f"{stage:<8} {step.job:<26} {name:<34} {step.seconds:8.1f} {shown} "
            f"{ratio(step.seconds, reference):>6}{flag}"
        )
    if azureml:
        out.append("")
        out.append(f"{'Azure ML pipeline run':<40} {'step':<12} {'status':<10} {'seconds':>8}")
        for run_id, name, status, seconds in azureml:
            out.append(f"{run_id:<40} {name:<12} {status:<10} {seconds:8.1f}")
    out.append("")
    out.append(
        f"pipelines: {total_s:.1f} s against the reference {REFERENCE_TOTAL_S:.0f} s: ratio "
        f"{total_s / REFERENCE_TOTAL_S:.2f} (goal {GOAL_S:.0f} s: ratio {GOAL_S / REFERENCE_TOTAL_S:.2f}, "
        + ("met)" if total_s <= GOAL_S else "not met)")
    )
    return "\n".join(out)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its finished (waited-for) descendants."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def stop_servers(state: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "amlops", "--state-dir", str(state), "delete-endpoint", "--all"],
        capture_output=True,
        check=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answer", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--keep", type=Path, default=None, help="state folder to use and keep (must not exist)"
    )
    args = parser.parse_args(argv)
    answers = parse_pairs(args.answer)
    if args.keep is not None and args.keep.exists():
        parser.error(f"--keep {args.keep}: already exists; the bench needs a fresh state")
    state_dir = args.keep or Path(tempfile.mkdtemp(prefix="amlops-demo-bench-"))
    settings = Settings(backend="local", state_dir=state_dir.resolve(), project=ProjectPaths(ROOT))
    started, cpu_before = time.monotonic(), cpu_seconds()
    ran = run_demo_pipelines(settings, answers)
    wall, cpu = time.monotonic() - started, cpu_seconds() - cpu_before
    try:
        result = ran.result
        pipelines = [
            (p.stage, p.path.name if p.path else "-", str(p.status), p.seconds) for p in result.pipelines
        ]
        lines = ran.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        steps = act_step_times(lines) if ran.dialect == "github" else []
        print(f"demo pipelines ({ran.dialect}) in {state_dir}; log {ran.log_path}")
        print(
            f"render + pipelines: {wall:.1f} s wall, {cpu:.1f} s CPU (user + sys of this process and of"
            " the processes it waited for: less sensitive to other work on the machine than wall time)"
        )
        print(report(pipelines, result.seconds, steps, azureml_step_times(ran.state)))
        return 0 if result.ok else 1
    finally:
        stop_servers(ran.state)
        if args.keep is None:
            shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
