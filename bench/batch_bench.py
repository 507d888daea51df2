"""Batch scoring: the batch component's command against a bare onnxruntime loop over the same file.

Reference: a bare onnxruntime loop over the same parquet file: pyarrow reads it in record batches of
`--batch-rows` rows, the model inputs are built column-wise with pyarrow (float32 numerics, strings for the
categoricals, hour / weekday from the timestamp), `InferenceSession.run` with the session options the bundle's
`OnnxModel` uses (one intra-op thread); the predictions stay in memory, nothing is checked or written.

Measured: `python -m datascience.batch_score --model B --input F --output O` (what components/batch_score.yml
runs: `datascience.batch_score.main`), which reads the file, checks every row against the contract, scores
the rows that pass, writes predictions.csv and reads it back to count the rejected rows.

Input: for each size of `--rows` (default 1, 3 and 10 million) one parquet file written by
`datascience.generate` from data-science/contract.yml (clean rows); the model: the sample data's pipeline
(scoring_bench.build_bundle). Each side runs in a child process of its own; per side the script reports
rows/s (rows over the wall time of the work, imports excluded), peak memory (`ru_maxrss` of the child from
`wait4`: resident memory, which tracemalloc would miss for pyarrow's and onnxruntime's own allocations) and
cores used (the child's CPU time over the wall time of the work: 2.0 means both cores busy throughout).
The ratio is the batch path's rows/s over the bare loop's (goal >= 0.8); peak memory should stay flat as
the file grows (the script calls it flat when the largest size's peak is within 1.25x of the smallest's).
The batch path's time is split by the functions it calls (timing wrappers installed in its child; nested
calls are not counted twice; "other" is the rest of `score_frame`, mostly assembling the output frame).

A size whose projected peak memory (linear in rows from the last size measured) exceeds
`--memory-fraction` of the memory available, or whose projected time would take the run past
`--time-budget` seconds, is skipped and the report says so; the children are the OOM killer's first choice
(`oom_score_adj` 1000), so a projection that is too low cannot take another process down.
Prints tables; asserts nothing.

    uv run --frozen python bench/batch_bench.py [--rows 1000000,3000000,10000000] [--time-budget 600]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scoring_bench import CONTRACT, SRC  # noqa: E402 (a sibling script, not a package)

RESULT = "RESULT "
FLAT = 1.25
GOAL_RATIO = 0.8


@dataclass
class Side:
    rows: int
    seconds: float  # wall time of the work, imports excluded
    cpu_seconds: float  # the child's CPU time over the same span (every thread)
    peak_mb: float  # ru_maxrss of the child
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds

    @property
    def cores(self) -> float:
        return self.cpu_seconds / self.seconds


# --- the children ----------------------------------------------------------------------------------------


class Phases:
    """Exclusive wall time per wrapped function: a call's time minus that of the wrapped calls inside it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._inner: list[float] = []

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self._inner.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                inner = self._inner.pop()
                self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - inner
                if self._inner:
                    self._inner[-1] += elapsed

        return timed


def child_batch(bundle: Path, source: Path, output: Path) -> dict[str, Any]:
    """`datascience.batch_score.main` on `source`, with timing wrappers around what it calls."""
    import onnxruntime
    import pandas as pd
    from datascience import batch_score
    from datascience import bundle as bundle_module

    phases = Phases()
    batch_score.read_file = phases.wrap("read the file (pandas.read_parquet)", batch_score.read_file)
    batch_score.as_read = phases.wrap("as_read (values as read, object columns)", batch_score.as_read)
    pd.DataFrame.to_dict = phases.wrap("DataFrame.to_dict (one dict per row)", pd.DataFrame.to_dict)
    batch_score.record_problems = phases.wrap("record_problems (per-row checks)", batch_score.record_problems)
    bundle_module.model_frame = phases.wrap(
        "model_frame (typed + derived features)", bundle_module.model_frame
    )
    bundle_module.onnx_feed = phases.wrap("onnx_feed", bundle_module.onnx_feed)
    session = onnxruntime.InferenceSession
    session.run = phases.wrap("InferenceSession.run", session.run)
    pd.DataFrame.to_csv = phases.wrap("DataFrame.to_csv (predictions.csv)", pd.DataFrame.to_csv)
    pd.read_csv = phases.wrap("pandas.read_csv (main reads predictions.csv back)", pd.read_csv)
    argv = ["--model", str(bundle), "--input", str(source), "--output", str(output)]
    wall, cpu = time.perf_counter(), time.process_time()
    code = batch_score.main(argv)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if code != 0:
        raise SystemExit(code)
    return {"seconds": wall, "cpu_seconds": cpu, "phases": phases.seconds}


def child_bare(bundle: Path, source: Path, output: Path, batch_rows: int) -> dict[str, Any]:
    """The bare loop: pyarrow record batches -> model inputs -> `InferenceSession.run`."""
    import numpy as np
    import onnxruntime as ort
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from datascience.contract import load_contract
    from datascience.features import MISSING_CATEGORY

    contract = load_contract(bundle / "contract.yml")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # as OnnxModel
    session = ort.InferenceSession(str(bundle / "model.onnx"), options, providers=["CPUExecutionProvider"])
    parts = {"hour": pc.hour, "weekday": pc.day_of_week, "month": pc.month}  # day_of_week: Monday = 0
    sources = sorted({m.source for m in contract.model_inputs})
    wall, cpu = time.perf_counter(), time.process_time()
    predictions, run_s = [], 0.0
    for batch in pq.ParquetFile(source).iter_batches(batch_size=batch_rows, columns=sources):
        feed = {}
        for spec in contract.model_inputs:
            column = batch.column(spec.source)
            if spec.kind == "categorical":
                text = pc.fill_null(pc.cast(column, pa.string()), MISSING_CATEGORY)
                feed[spec.name] = text.to_numpy(zero_copy_only=False).astype(object).reshape(-1, 1)
                continue
            values = parts[spec.derived](column) if spec.derived else column
            numbers = pc.cast(values, pa.float32()).to_numpy(zero_copy_only=False)  # nulls: NaN
            feed[spec.name] = numbers.astype(np.float32).reshape(-1, 1)
        started = time.perf_counter()
        predictions.append(np.asarray(session.run(None, feed)[0]).ravel())
        run_s += time.perf_counter() - started
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    np.save(output / "bare.npy", np.concatenate(predictions))  # for the parent's comparison, not timed
    return {"seconds": wall, "cpu_seconds": cpu, "phases": {"InferenceSession.run": run_s}}


# --- the parent ------------------------------------------------------------------------------------------


def mem_available_mb() -> float:
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _first_to_die() -> None:
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w", encoding="utf-8") as adj:
        adj.write("1000")


def run_child(mode: str, bundle: Path, source: Path, output: Path, *, batch_rows: int, rows: int) -> Side:
    """This script in a child process; its result line and its rusage from wait4."""
    output.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, __file__, "--child", mode, "--bundle", str(bundle), "--input", str(source)]
    argv += ["--output", str(output), "--batch-rows", str(batch_rows)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_first_to_die,  # noqa: PLW1509
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{mode} child exited with {process.returncode}:\n{text[-2000:]}")
    line = next(line for line in reversed(text.splitlines()) if line.startswith(RESULT))
    result = json.loads(line[len(RESULT) :])
    return Side(rows, result["seconds"], result["cpu_seconds"], usage.ru_maxrss / 1024, result["phases"])


def agreement(output: Path) -> float:
    """The largest absolute difference between the two sides' predictions (regression)."""
    import numpy as np
    import pandas as pd

    batch = pd.read_csv(output / "batch" / "predictions.csv", usecols=["prediction"])["prediction"].to_numpy()
    bare = np.load(output / "bare" / "bare.npy")
    if len(batch) != len(bare) or bare.dtype.kind != "f":
        return float("nan")
    return float(np.max(np.abs(batch - bare)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,3000000,10000000", help="file sizes (comma-separated)")
    parser.add_argument("--batch-rows", type=int, default=100_000, help="rows per batch of the bare loop")
    parser.add_argument("--time-budget", type=float, default=600.0, help="seconds the whole run may take")
    parser.add_argument(
        "--memory-fraction", type=float, default=0.6, help="of MemAvailable a child may be projected to use"
    )
    parser.add_argument("--child", choices=("batch", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--bundle", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "batch":
            result = child_batch(args.bundle, args.input, args.output)
        else:
            result = child_bare(args.bundle, args.input, args.output, args.batch_rows)
        print(RESULT + json.dumps(result), flush=True)
        return 0

    sys.path.insert(0, str(SRC))
    from datascience.contract import load_contract
    from datascience.generate import generate
    from scoring_bench import build_bundle

    started = time.monotonic()
    sizes = [int(n) for n in args.rows.split(",") if n.strip()]
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    results: list[tuple[Side, Side, float, float, float, float]] = []
    skipped: list[str] = []
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    try:
        build_bundle(work / "bundle")
        contract = load_contract(CONTRACT)
        for rows in sizes:
            if results:
                last = results[-1]
                scale = rows / last[0].rows
                peak = max(last[0].peak_mb, last[1].peak_mb) * scale
                seconds = (last[0].seconds + last[1].seconds + last[3]) * scale + 10  # + start-ups
                budget = args.memory_fraction * mem_available_mb()
                if peak > budget:
                    skipped.append(f"{rows:,} rows: projected peak {peak:,.0f} MB > {budget:,.0f} MB allowed")
                    continue
                if time.monotonic() - started + seconds > args.time_budget:
                    skipped.append(
                        f"{rows:,} rows: projected {seconds:.0f} s, past the {args.time_budget:.0f} s budget"
                    )
                    continue
            source = work / f"data-{rows}" / "data.parquet"
            generating = time.perf_counter()
            generate(contract, source, rows=rows, seed=42)
            generating = time.perf_counter() - generating
            size_mb = source.stat().st_size / 2**20
            output = work / f"out-{rows}"
            sizes_ = {"batch_rows": args.batch_rows, "rows": rows}
            bare = run_child("bare", work / "bundle", source, output / "bare", **sizes_)
            batch = run_child("batch", work / "bundle", source.parent, output / "batch", **sizes_)
            difference = agreement(output)
            results.append((batch, bare, size_mb, generating, os.getloadavg()[0], difference))
            print(
                f"  {rows:,} rows: batch {batch.seconds:.1f} s, bare {bare.seconds:.1f} s, "
                f"generated in {generating:.1f} s, load {results[-1][4]:.2f}",
                flush=True,
            )
            shutil.rmtree(output, ignore_errors=True)
            source.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, skipped, time.monotonic() - started)
    return 0


def report(
    results: Sequence[tuple[Side, Side, float, float, float, float]], skipped: Sequence[str], total: float
) -> None:
    print(
        f"\nbatch: python -m datascience.batch_score on a parquet file; bare: onnxruntime loop; {total:.0f} s"
    )
    print(
        f"{'rows':>11} {'file MB':>8} {'bare rows/s':>12} {'bare MB':>8} {'cores':>5} "
        f"{'batch rows/s':>12} {'batch MB':>9} {'cores':>5} {'ratio':>6} {'max |diff|':>10} {'load':>5}"
    )
    for batch, bare, size_mb, _, load, difference in results:
        print(
            f"{batch.rows:>11,} {size_mb:>8.1f} {bare.rows_per_s:>12,.0f} {bare.peak_mb:>8,.0f} "
            f"{bare.cores:>5.2f} {batch.rows_per_s:>12,.0f} {batch.peak_mb:>9,.0f} {batch.cores:>5.2f} "
            f"{batch.rows_per_s / bare.rows_per_s:>6.3f} {difference:>10.2g} {load:>5.2f}"
        )
    for line in skipped:
        print(f"not measured: {line}")
    if not results:
        return
    for batch, bare, *_ in results[-1:]:
        print(f"\nwhere the batch path's {batch.seconds:.1f} s go ({batch.rows:,} rows):")
        spent = sum(batch.phases.values())
        for name, seconds in sorted(batch.phases.items(), key=lambda item: -item[1]):
            print(f"  {name:<52} {seconds:>7.1f} s {seconds / batch.seconds:>6.0%}")
        other = batch.seconds - spent
        print(
            f"  {'other (score_frame: the output frame)':<52} {other:>7.1f} s {other / batch.seconds:>6.0%}"
        )
        run = bare.phases.get("InferenceSession.run", float("nan"))
        print(f"  bare loop: InferenceSession.run {run:.1f} s of its {bare.seconds:.1f} s")
    first, last = results[0][0], results[-1][0]
    ratios = [batch.rows_per_s / bare.rows_per_s for batch, bare, *_ in results]
    growth = last.peak_mb / first.peak_mb
    print(
        f"\ngoal rows/s >= {GOAL_RATIO}x the bare loop: {'met' if min(ratios) >= GOAL_RATIO else 'NOT met'} "
        f"(ratio {min(ratios):.3f} to {max(ratios):.3f})"
    )
    verdict = ("met" if growth <= FLAT else "NOT met") if len(results) > 1 else "not judged (one size)"
    print(
        f"goal flat peak memory: {verdict} "
        f"({first.peak_mb:,.0f} MB at {first.rows:,} rows, "
        f"{last.peak_mb:,.0f} MB at {last.rows:,}: x{growth:.2f})"
    )
    cores = max(batch.cores for batch, *_ in results)
    print(f"goal both cores used: {'met' if cores >= 1.5 else 'NOT met'} (at most {cores:.2f} cores)")


if __name__ == "__main__":
    raise SystemExit(main())
