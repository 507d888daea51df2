"""Expansion time of the largest Azure DevOps pipeline (goal: under 200 ms); prints figures, asserts nothing.

The largest pipeline is the one under pipelines/azure-devops/ whose expansion is biggest, with the step
library mapped as `--repo templates=templates/azure-devops`; without those pipelines, the largest scenario
of tests/amlops/ci/testdata/azure_devops/ stands in.

    uv run --frozen python bench/expand_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from amlops.ci.azure_devops.expand import expand_pipeline
from amlops.ci.errors import PipelineError
from amlops.lifecycle.commands_expand import dump

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 200.0


def candidates() -> list[tuple[Path, Path, dict[str, Path]]]:
    """(pipeline, repo root, repos) to consider."""
    pipelines = sorted((ROOT / "pipelines" / "azure-devops").glob("*.yml"))
    repos = {"templates": ROOT / "templates" / "azure-devops"}
    found = [(p, ROOT, repos) for p in pipelines]
    if found:
        return found
    cases = ROOT / "tests" / "amlops" / "ci" / "testdata" / "azure_devops"
    return [(c / "pipeline.yml", c, {}) for c in sorted(cases.iterdir()) if (c / "expected.yml").is_file()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    sized = []
    for path, root, repos in candidates():
        try:
            sized.append((len(dump(expand_pipeline(path, repo_root=root, repos=repos))), path, root, repos))
        except PipelineError as exc:
            print(f"skipped {path.relative_to(ROOT)}: {exc}")
    if not sized:
        print("no pipeline expands; nothing to measure")
        return 1
    size, path, root, repos = max(sized, key=lambda s: s[0])
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        expand_pipeline(path, repo_root=root, repos=repos)
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    print(f"pipeline: {path.relative_to(ROOT)} ({size} characters expanded)")
    print(
        f"expansion: median {median:.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms "
        f"over {args.repeat} runs"
    )
    print(f"ratio to the {GOAL_MS:.0f} ms goal: {median / GOAL_MS:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
