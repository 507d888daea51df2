"""The process that runs a model batch deployment's scoring script (see `amlops.azureml.batch`).

    python -m amlops.azureml.batch_driver --code DIR --scoring-script FILE --input PATH --output DIR \
        --settings JSON

Exit 0 when the job succeeded (failed mini-batches within `error_threshold`), 1 when it failed, 2 when the
script cannot be loaded or has no init()/run(). Progress and errors go to stdout (the job's log).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import signal
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from amlops.azureml.batch import BatchSettings
from amlops.errors import FailedError


class MiniBatchTimeout(FailedError):
    """The scoring script's run() took longer than `retry_settings.timeout` on one mini-batch."""


def input_files(path: Path) -> list[Path]:
    """Every file under `path` (or `path` itself), sorted: what a uri_folder input hands to `run`."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def mini_batches(files: Sequence[Path], size: int) -> list[list[str]]:
    return [[str(f) for f in files[i : i + size]] for i in range(0, len(files), size)]


def failed_count(mini_batch: Sequence[str], result: Any) -> int:
    """Azure ML counts one success per element `run` returns; fewer elements than files are failures
    (a string is not a list of results: all its files count as failed)."""
    if isinstance(result, str | bytes):
        return len(mini_batch)
    try:
        returned = len(result)
    except TypeError:
        return len(mini_batch)
    return max(0, len(mini_batch) - returned)


def append_rows(result: Any, target: Path) -> None:
    """`append_row`: rows with no header, values separated by spaces (a DataFrame) or one element per line."""
    with target.open("a", encoding="utf-8") as out:
        if hasattr(result, "to_csv"):
            result.to_csv(out, sep=" ", header=False, index=False)
        else:
            for item in result:
                out.write(f"{item}\n")


def _load(script: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"amlops_batch_{script.stem}", script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise ImportError(f"{script.name} has no {name}() function")
    return module


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise MiniBatchTimeout(f"run() took longer than retry_settings.timeout ({seconds} s)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run_one(module: ModuleType, mini_batch: list[str], settings: BatchSettings, label: str) -> Any:
    for attempt in range(settings.max_retries + 1):
        try:
            with _time_limit(settings.timeout_s):
                return module.run(mini_batch)
        except Exception as exc:  # the user's script failed on this mini-batch: retry, then count it
            print(f"{label}: attempt {attempt + 1} failed: {type(exc).__name__}: {exc}", flush=True)
            if attempt == settings.max_retries:
                traceback.print_exc(file=sys.stdout)
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m amlops.azureml.batch_driver", description=__doc__)
    parser.add_argument("--code", type=Path, required=True)
    parser.add_argument("--scoring-script", required=True)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--settings", required=True, help="BatchSettings as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = BatchSettings.from_json(args.settings)
    sys.path.insert(0, str(args.code))
    try:
        module = _load(args.code / args.scoring_script)
        module.init()
    except Exception as exc:
        print(f"batch driver: the scoring script could not start: {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc(file=sys.stdout)
        return 2
    files = input_files(args.input)
    batches = mini_batches(files, settings.mini_batch_size)
    print(f"batch driver: {len(files)} file(s) in {len(batches)} mini-batch(es)", flush=True)
    args.output.mkdir(parents=True, exist_ok=True)
    target = args.output / settings.output_file_name
    failed = 0
    started = time.monotonic()
    for index, mini_batch in enumerate(batches):
        label = f"mini-batch {index + 1}/{len(batches)}"
        result = _run_one(module, mini_batch, settings, label)
        if result is None:
            failed += len(mini_batch)
        else:
            failed += failed_count(mini_batch, result)
            if settings.output_action == "append_row":
                append_rows(result, target)
        if settings.error_threshold != -1 and failed > settings.error_threshold:
            print(
                f"batch driver: {failed} failed file(s) exceed error_threshold {settings.error_threshold}; "
                "the job fails",
                flush=True,
            )
            return 1
    print(f"batch driver: done in {time.monotonic() - started:.1f}s, {failed} failed file(s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
