"""Register a file or folder as a versioned data asset (content-hashed; identical content reuses the version).

Prints {"name", "version", "hash", "path", "created"}.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from amlops.backends.base import Backend
from amlops.output import emit_result, say
from amlops.verbs._common import backend_for


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="data asset name")
    parser.add_argument("--path", required=True, type=Path, help="file or folder to snapshot")


def register_data(backend: Backend, *, name: str, path: Path) -> dict[str, Any]:
    asset = backend.register_data(name, path)
    verb = "registered" if asset.created else "already registered as"
    say(f"data asset {asset.name}: {verb} version {asset.version} ({asset.hash[:19]}…)")
    return {
        "name": asset.name,
        "version": asset.version,
        "hash": asset.hash,
        "path": asset.uri,
        "created": asset.created,
    }


def execute(args: argparse.Namespace) -> int:
    emit_result(register_data(backend_for(args), name=args.name, path=args.path))
    return 0
