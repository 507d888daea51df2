"""Content hashes of files, folders and whole steps, so an unchanged step can be reused instead of re-run."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from amlops.azureml.bindings import StepPlan

# Written by running the code itself (or by tools around it); never part of what a step depends on.
_IGNORED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        ".venv",
        "mlruns",
    }
)
_IGNORED_SUFFIXES = (".pyc", ".pyo")
_IGNORED_FILES = frozenset({".DS_Store"})
_CHUNK = 1 << 20


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hash_path(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's relative file names and contents (caches ignored).

    A missing path hashes to a fixed marker, so a step whose input vanished is never taken as unchanged.
    """
    if path.is_file():
        return _file_digest(path)
    if not path.is_dir():
        return "missing"
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(path, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRS and not d.endswith(".egg-info"))
        relative = Path(folder).relative_to(path).as_posix()
        digest.update(f"d {relative}\n".encode())
        for name in sorted(files):
            if name in _IGNORED_FILES or name.endswith(_IGNORED_SUFFIXES):
                continue
            file = Path(folder) / name
            digest.update(f"f {relative}/{name} {_file_digest(file)}\n".encode())
    return digest.hexdigest()


def step_fingerprint(plan: StepPlan) -> str:
    """A hash of everything a step's result depends on.

    The component definition, its code folder's contents, each input's literal value or content hash, the
    output locations and types, and the step's declared environment variables. The caller's environment
    is left out on purpose (it holds per-run values such as MLflow run ids).
    """
    inputs: dict[str, object] = {}
    for name, resolved in sorted(plan.inputs.items()):
        if isinstance(resolved.value, Path):
            inputs[name] = {"type": resolved.type, "sha256": hash_path(resolved.value)}
        else:
            inputs[name] = {"type": resolved.type, "value": resolved.value}
    document = {
        "component": plan.component.content,
        "code": hash_path(plan.component.code) if plan.component.code is not None else None,
        "inputs": inputs,
        "outputs": {name: [out.type, str(out.path)] for name, out in sorted(plan.outputs.items())},
        "environment_variables": dict(sorted(plan.environment_variables.items())),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
