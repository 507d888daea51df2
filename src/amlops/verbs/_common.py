"""Helpers shared by verbs: backend from settings, model references, JSON files."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from amlops.backends import get_backend
from amlops.backends.base import Backend, ModelVersion
from amlops.errors import UsageError


def backend_for(args: argparse.Namespace) -> Backend:
    return get_backend(args.settings)


def add_model_reference(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--model-name", required=True, help="registered model name")
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--version", help="model version number")
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


def bundle_digest(bundle: Path) -> str:
    """sha256 over the bundle's files (names and bytes): ties a gate decision to exactly what it judged."""
    digest = hashlib.sha256()
    for file in sorted(p for p in bundle.rglob("*") if p.is_file()):
        digest.update(file.relative_to(bundle).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value
