"""Helpers shared by verbs: backend from settings, model references, JSON files."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from amlops.backends import get_backend
from amlops.backends.base import Backend, ModelVersion
from amlops.errors import UsageError
from amlops.hashing import content_hash


def backend_for(args: argparse.Namespace) -> Backend:
    return get_backend(args.settings)


def endpoint_lock(backend: Backend, endpoint: str) -> contextlib.AbstractContextManager[Any]:
    """Hold the endpoint against concurrent deploy/rollback where the backend can (local: a lock file);
    Azure ML serialises endpoint operations itself."""
    lock = getattr(backend, "endpoint_lock", None)
    return lock(endpoint) if lock is not None else contextlib.nullcontext()


def add_model_reference(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--model-name", required=True, help="registered model name")
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--version", type=nonempty, help="model version number")
    group.add_argument("--alias", help="model alias, e.g. champion or challenger")


def resolve_model(backend: Backend, name: str, *, version: str | None, alias: str | None) -> ModelVersion:
    return backend.get_model_version(name, version=version, alias=alias)


def read_json_file(path: Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{what} not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{what} {path} is not valid JSON: {exc}") from None


def project_relative(path: Path, root: Path) -> str:
    """`path` as the user knows it: relative to the project root when inside it (a runner's scratch copy
    of the project has the same layout), else as it is."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def bundle_digest(bundle: Path) -> str:
    """sha256 over the bundle's files (names and bytes): ties a gate decision to exactly what it judged."""
    return content_hash(bundle)


def optional_text(text: str) -> str | None:
    """argparse `type=`: an empty value means "not given" (a step passes its optional input as it is)."""
    return text or None


def optional_path(text: str) -> Path | None:
    """argparse `type=`: an empty value means "not given" (not the current folder)."""
    return Path(text) if text else None


def nonempty(text: str) -> str:
    """argparse `type=`: an empty value is a usage error (e.g. a version an earlier step did not set)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty value (nothing given)")
    return text


def positive_float(text: str) -> float:
    """argparse `type=`: a number above 0 (hours, seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off", ""})


def boolean(text: str) -> bool:
    """argparse `type=`: true/false as pipelines write them (True/False from Azure DevOps booleans)."""
    word = text.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def as_folder(path: Path, scratch: Path, role: str) -> Path:
    """A folder holding `path`: itself when it is one, else a new folder under `scratch` with the file
    linked (or copied) in. Azure ML's `uri_folder` inputs take folders; both backends stage the same way."""
    path = Path(path).resolve()
    if not path.is_file():
        return path
    folder = scratch / f"{role}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    try:
        os.link(path, folder / path.name)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(path, folder / path.name)
    return folder
