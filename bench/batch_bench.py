"""Batch scoring: the batch component's command, as shipped and with one worker, against a bare onnx loop.

Reference: a bare onnxruntime loop over the same parquet file: pyarrow reads it in record batches of
`--batch-rows` rows, the model inputs are built column-wise with pyarrow (float32 numerics, strings for the
categoricals, hour / weekday from the timestamp), `InferenceSession.run` with the session options the bundle's
`OnnxModel` uses (one intra-op thread); the predictions stay in memory, nothing is checked or written.

Measured, each in a child process of its own: `datascience.batch_score.main(["--model", B, "--input", F,
"--output", O])` (what components/batch_score.yml runs), which streams the file in chunks of 100,000 rows
(`datascience.chunked`), checks them column by column, scores the rows that pass and writes predictions.csv
with pyarrow:
- "shipped": default `--workers` (one worker process per core this process may use; the child starts a
  forkserver, which forks the workers);
- "1 worker": `--workers 1`, everything in the child; only this side carries the timing wrappers.

Input: for each size of `--rows` (default 1, 3 and 10 million) one parquet file written by
`datascience.generate` from data-science/contract.yml (clean rows); the model: the sample data's pipeline
(scoring_bench.build_bundle). Per side the script reports:
- rows/s: rows over the child's own wall time of the work (`main` or the loop; imports excluded, the
  workers' start-up and model loading included);
- peak memory: the parent samples the child and all its descendants (`psutil` `children(recursive=True)`:
  the forkserver is the child's child, the workers are the forkserver's, the resource tracker the child's)
  every `--sample-s` seconds; the peak is the largest sum of their resident set sizes at one sample (pages
  shared between processes, such as the libraries, count once per process, so this is an upper bound);
- cores: CPU seconds of the tree over the wall time of the work; the child's own CPU time over the work is
  its `time.process_time()` (every thread), a descendant's is the last user + system time the parent saw for
  its pid (at most one sample interval short; the descendants all start inside the work);
- others: cores busy on the machine outside the tree while the child lived (the machine's busy CPU time from
  `psutil.cpu_times()` minus the tree's), this script's sampling included: other work on the machine;
- max |diff|: the largest absolute difference between a batch side's predictions and the bare loop's.
The ratio is a side's rows/s over the bare loop's (goal >= 0.8); peak memory should stay flat as the file
grows (flat: the largest size's peak within 1.25x of the smallest's); both cores used: >= 1.5 cores.
The 1 worker side's time is split by the functions it calls (timing wrappers in its child: a call's time
minus that of the wrapped calls inside it; "other" is the rest of `main`: loading the model, `file_chunks`,
counting, closing and renaming the output).

A size whose projected peak memory (linear in rows from the largest tree peak of the last size measured)
exceeds `--memory-fraction` of the memory available, or whose projected time (the last size's, linear in
rows) would take the run past `--time-budget` seconds, is skipped and the report says so; the children are
the OOM killer's first choice (`oom_score_adj` 1000, inherited by their descendants), so a projection that
is too low cannot take another process down. Prints tables; asserts nothing.

    uv run --frozen python bench/batch_bench.py [--rows 1000000,3000000,10000000] [--time-budget 900]
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scoring_bench import CONTRACT, SRC  # noqa: E402 (a sibling script, not a package)

RESULT = "RESULT "
FLAT = 1.25
GOAL_RATIO = 0.8
BOTH_CORES = 1.5
SIDES = ("bare", "shipped", "1 worker")  # report order; the two batch sides after the reference


@dataclass
class Side:
    rows: int
    seconds: float  # the child's wall time of the work, imports excluded
    child_cpu: float  # the child's own CPU time over the work (every thread)
    descendants_cpu: float  # its descendants' (forkserver, workers, resource tracker)
    peak_mb: float  # largest sum of the tree's resident set sizes at one sample
    processes: int  # most processes in the tree at one sample
    others: float  # cores busy outside the tree while the child lived (this script's sampling included)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds

    @property
    def cpu_seconds(self) -> float:
        return self.child_cpu + self.descendants_cpu

    @property
    def cores(self) -> float:
        return self.cpu_seconds / self.seconds


@dataclass
class Size:
    rows: int
    file_mb: float
    generating: float
    sides: dict[str, Side]
    differences: dict[str, float]  # per batch side: the largest |prediction - bare|
    load: float  # 1-minute load average after the size's last child
    elapsed: float  # the whole size: generating, children, comparison


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

    def wrap_iterator(self, name: str, function: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
        """`function` returns an iterator (a generator): time each of its steps, not the caller's work
        between them."""
        step = self.wrap(name, next)

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            iterator = iter(function(*args, **kwargs))
            while True:
                try:
                    item = step(iterator)
                except StopIteration:
                    return
                yield item

        return timed


def child_batch(bundle: Path, source: Path, output: Path, workers: int | None) -> dict[str, Any]:
    """`datascience.batch_score.main` on `source`; with `workers` 1, timing wrappers around what it calls."""
    import multiprocessing

    import onnxruntime
    from datascience import batch_score, chunked
    from datascience import bundle as bundle_module

    # As under `python -m datascience.batch_score`, the forkserver preloads nothing (else: this script).
    multiprocessing.set_forkserver_preload([])
    phases = Phases()
    argv = ["--model", str(bundle), "--input", str(source), "--output", str(output)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    if workers == 1:
        chunked.read_chunks = phases.wrap_iterator(
            "read (tables.read_chunks: pyarrow batches to pandas)", chunked.read_chunks
        )
        chunked.score_frame = phases.wrap("score_frame, the rest (output frame)", chunked.score_frame)
        chunked.row_errors = phases.wrap("row_errors (column-wise checks)", chunked.row_errors)
        bundle_module.model_frame = phases.wrap(
            "model_frame (typed + derived features)", bundle_module.model_frame
        )
        bundle_module.onnx_feed = phases.wrap("onnx_feed", bundle_module.onnx_feed)
        session = onnxruntime.InferenceSession
        session.run = phases.wrap("InferenceSession.run", session.run)
        chunked.TableSink.write = phases.wrap(
            "TableSink.write (pyarrow: from_pandas, cast, csv)", chunked.TableSink.write
        )
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


class TreeSampler:
    """Samples a process and its descendants: the largest sum of resident set sizes at one sample, the
    last CPU time (user + system) seen per pid, the most processes at one sample."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.psutil = psutil
        self.root = psutil.Process(pid)
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}
        self.processes = 0

    def sample(self) -> None:
        psutil = self.psutil
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:  # the child has just exited
            return
        rss, alive = 0, 0
        for process in tree:
            try:
                with process.oneshot():
                    memory, times = process.memory_info(), process.cpu_times()
            except psutil.Error:  # exited between the listing and the reading
                continue
            rss += memory.rss
            alive += 1
            self.cpu[process.pid] = times.user + times.system
        self.peak_rss = max(self.peak_rss, rss)
        self.processes = max(self.processes, alive)

    def descendants_cpu(self) -> float:
        return sum(seconds for pid, seconds in self.cpu.items() if pid != self.root.pid)

    def tree_cpu(self) -> float:
        return sum(self.cpu.values())


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (every core)."""
    import psutil

    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq


def run_child(
    mode: str, bundle: Path, source: Path, output: Path, *, rows: int, batch_rows: int, sample_s: float
) -> Side:
    """This script in a child process, sampled with its descendants until it exits; its result line."""
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
        sampler = TreeSampler(process.pid)
        life, busy = time.perf_counter(), busy_cpu_seconds()
        while process.poll() is None:
            sampler.sample()
            time.sleep(sample_s)
        life, busy = time.perf_counter() - life, busy_cpu_seconds() - busy
        out.seek(0)
        text = out.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{mode} child exited with {process.returncode}:\n{text[-2000:]}")
    line = next(line for line in reversed(text.splitlines()) if line.startswith(RESULT))
    result = json.loads(line[len(RESULT) :])
    return Side(
        rows,
        result["seconds"],
        result["cpu_seconds"],
        sampler.descendants_cpu(),
        sampler.peak_rss / 2**20,
        sampler.processes,
        max(0.0, busy - sampler.tree_cpu()) / life,
        result["phases"],
    )


def max_difference(predictions: Path, bare: Path) -> float:
    """The largest absolute difference between a batch side's predictions and the bare loop's."""
    import numpy as np
    import pyarrow.csv as pcsv

    options = pcsv.ConvertOptions(include_columns=["prediction"])
    batch = pcsv.read_csv(predictions, convert_options=options).column("prediction").to_numpy()
    reference = np.load(bare)
    if len(batch) != len(reference) or batch.dtype.kind != "f":
        return float("nan")
    return float(np.max(np.abs(batch - reference)))


def load_text() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,3000000,10000000", help="file sizes (comma-separated)")
    parser.add_argument("--batch-rows", type=int, default=100_000, help="rows per batch of the bare loop")
    parser.add_argument("--time-budget", type=float, default=600.0, help="seconds the whole run may take")
    parser.add_argument(
        "--memory-fraction", type=float, default=0.6, help="of MemAvailable a child may be projected to use"
    )
    parser.add_argument(
        "--sample-s", type=float, default=0.1, help="seconds between samples of a child's process tree"
    )
    parser.add_argument("--child", choices=("batch", "batch-1", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--bundle", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "bare":
            result = child_bare(args.bundle, args.input, args.output, args.batch_rows)
        else:
            workers = 1 if args.child == "batch-1" else None
            result = child_batch(args.bundle, args.input, args.output, workers)
        print(RESULT + json.dumps(result), flush=True)
        return 0

    sys.path.insert(0, str(SRC))
    from datascience.contract import load_contract
    from datascience.generate import generate
    from scoring_bench import build_bundle

    started = time.monotonic()
    sizes = [int(n) for n in args.rows.split(",") if n.strip()]
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    results: list[Size] = []
    skipped: list[str] = []
    load_at_start = load_text()
    print(f"load average at the start: {load_at_start}", flush=True)
    try:
        build_bundle(work / "bundle")
        contract = load_contract(CONTRACT)
        for rows in sizes:
            if results:
                last = results[-1]
                scale = rows / last.rows
                peak = max(side.peak_mb for side in last.sides.values()) * scale
                seconds = last.elapsed * scale
                budget = args.memory_fraction * mem_available_mb()
                if peak > budget:
                    skipped.append(f"{rows:,} rows: projected peak {peak:,.0f} MB > {budget:,.0f} MB allowed")
                    continue
                if time.monotonic() - started + seconds > args.time_budget:
                    skipped.append(
                        f"{rows:,} rows: projected {seconds:.0f} s, past the {args.time_budget:.0f} s budget"
                    )
                    continue
            size_started = time.monotonic()
            source = work / f"data-{rows}" / "data.parquet"
            generating = time.perf_counter()
            generate(contract, source, rows=rows, seed=42)
            generating = time.perf_counter() - generating
            output = work / f"out-{rows}"
            common = {"rows": rows, "batch_rows": args.batch_rows, "sample_s": args.sample_s}
            bundle = work / "bundle"
            sides = {"bare": run_child("bare", bundle, source, output / "bare", **common)}
            differences = {}
            for name, mode in (("shipped", "batch"), ("1 worker", "batch-1")):
                sides[name] = run_child(mode, bundle, source.parent, output / mode, **common)
                differences[name] = max_difference(
                    output / mode / "predictions.csv", output / "bare" / "bare.npy"
                )
                shutil.rmtree(output / mode, ignore_errors=True)
            results.append(
                Size(
                    rows,
                    source.stat().st_size / 2**20,
                    generating,
                    sides,
                    differences,
                    os.getloadavg()[0],
                    time.monotonic() - size_started,
                )
            )
            print(
                f"  {rows:,} rows: "
                + ", ".join(f"{name} {side.seconds:.1f} s" for name, side in sides.items())
                + f"; generated in {generating:.1f} s, load {results[-1].load:.2f}",
                flush=True,
            )
            shutil.rmtree(output, ignore_errors=True)
            source.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, skipped, time.monotonic() - started)
    print(f"load average at the start: {load_at_start}, at the end: {load_text()}")
    return 0


def report(results: Sequence[Size], skipped: Sequence[str], total: float) -> None:
    print(
        "\nbare: onnxruntime loop; shipped: python -m datascience.batch_score (default --workers); "
        f"1 worker: the same with --workers 1; {total:.0f} s"
    )
    print(
        f"{'rows':>11} {'file MB':>8} {'side':>9} {'seconds':>7} {'rows/s':>9} {'ratio':>6} {'peak MB':>8} "
        f"{'cores':>5} {'CPU s child + desc.':>19} {'procs':>5} {'others':>6} {'max |diff|':>10} {'load':>5}"
    )
    for size in results:
        bare = size.sides["bare"]
        for name in SIDES:
            side = size.sides[name]
            difference = f"{size.differences[name]:.2g}" if name in size.differences else "-"
            cpu = f"{side.child_cpu:.1f} + {side.descendants_cpu:.1f}"
            print(
                f"{size.rows:>11,} {size.file_mb:>8.1f} {name:>9} {side.seconds:>7.1f} "
                f"{side.rows_per_s:>9,.0f} {side.rows_per_s / bare.rows_per_s:>6.3f} "
                f"{side.peak_mb:>8,.0f} {side.cores:>5.2f} {cpu:>19} {side.processes:>5} "
                f"{side.others:>6.2f} {difference:>10} {size.load:>5.2f}"
            )
    print(
        "(cores: CPU s of the child and its descendants over its seconds of work; others: cores busy outside "
        "the tree, this script's sampling included, over the child's life)"
    )
    for line in skipped:
        print(f"not measured: {line}")
    if not results:
        return
    last = results[-1]
    single, bare = last.sides["1 worker"], last.sides["bare"]
    print(f"\nwhere the 1 worker side's {single.seconds:.1f} s go ({single.rows:,} rows):")
    spent = sum(single.phases.values())
    for name, seconds in sorted(single.phases.items(), key=lambda item: -item[1]):
        print(f"  {name:<52} {seconds:>7.1f} s {seconds / single.seconds:>6.0%}")
    other = single.seconds - spent
    print(
        f"  {'other (main: model, file_chunks, totals, output)':<52} {other:>7.1f} s "
        f"{other / single.seconds:>6.0%}"
    )
    run = bare.phases.get("InferenceSession.run", float("nan"))
    print(f"  bare loop: InferenceSession.run {run:.1f} s of its {bare.seconds:.1f} s")
    for name in SIDES[1:]:
        ratios = [size.sides[name].rows_per_s / size.sides["bare"].rows_per_s for size in results]
        first, end = results[0].sides[name], results[-1].sides[name]
        growth = end.peak_mb / first.peak_mb
        cores = max(size.sides[name].cores for size in results)
        print(f"\n{name}:")
        print(
            f"  goal rows/s >= {GOAL_RATIO}x the bare loop: "
            f"{'met' if min(ratios) >= GOAL_RATIO else 'NOT met'} "
            f"(ratio {min(ratios):.3f} to {max(ratios):.3f})"
        )
        verdict = ("met" if growth <= FLAT else "NOT met") if len(results) > 1 else "not judged (one size)"
        print(
            f"  goal flat peak memory: {verdict} "
            f"({first.peak_mb:,.0f} MB at {first.rows:,} rows, "
            f"{end.peak_mb:,.0f} MB at {end.rows:,}: x{growth:.2f})"
        )
        print(
            f"  goal both cores used: {'met' if cores >= BOTH_CORES else 'NOT met'} "
            f"(at most {cores:.2f} cores)"
        )


if __name__ == "__main__":
    raise SystemExit(main())
