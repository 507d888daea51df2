"""Check an environment settings file, pipelines/config/<ENV>.yml, against the one schema of both dialects.

Every key under `variables:` must be known and have its type (strings, a positive number for
`driftThreshold`, YAML booleans for `retrainOnDrift`/`approvalRequired`; `compute` optional). Each problem
is named with file, line and key; exits 2 if there are any. Prints {"environment", "file", "settings"}.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from amlops.environment_config import check_settings
from amlops.errors import ConfigError, UsageError
from amlops.output import emit_result, say


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "environment", metavar="ENV", help="environment name: the file read is <config-dir>/ENV.yml"
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=Path("pipelines/config"),
        help="folder of the environment settings files (default pipelines/config)",
    )


def validate_config(environment: str, config_dir: Path) -> dict[str, Any]:
    if not environment or "/" in environment or environment.startswith("."):
        raise UsageError(f"not an environment name: {environment!r}")
    path = config_dir / f"{environment}.yml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = sorted(p.stem for p in config_dir.glob("*.yml")) if config_dir.is_dir() else []
        raise UsageError(
            f"no settings file {path} (environments in {config_dir}: {', '.join(known) or 'none'})"
        ) from None
    settings, problems = check_settings(text, str(path))
    if problems:
        for problem in problems:
            say(f"[red]{problem}[/]")
        raise ConfigError(
            f"{path}: {len(problems)} problem(s): " + "; ".join(f"{p.key}: {p.message}" for p in problems),
            result={"environment": environment, "file": str(path), "problems": [str(p) for p in problems]},
        )
    say(f"[green]{path}: {len(settings)} settings valid[/]")
    return {"environment": environment, "file": str(path), "settings": settings}


def execute(args: argparse.Namespace) -> int:
    emit_result(validate_config(args.environment, args.config_dir))
    return 0
