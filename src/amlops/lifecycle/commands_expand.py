"""Expand an Azure Pipelines file (templates, parameters, ${{ }}) and print it, as a preview run would.

Errors name the file, the line and the chain of templates that led there, e.g.
`pipeline.yml:12 -> templates/steps/x.yml:4: ...`.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from amlops import library
from amlops.ci.azure_devops.expand import expand_pipeline
from amlops.errors import UsageError
from amlops.yamlsource import plain


def pairs(values: Sequence[str] | None, option: str) -> dict[str, str]:
    """`k=v` strings as a dict; a missing `=` is a usage error naming the option."""
    out: dict[str, str] = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} expects NAME=VALUE, got '{item}'")
        out[key.strip()] = value
    return out


def parameter_values(values: Sequence[str] | None) -> dict[str, Any]:
    """`--param k=v`: values that look like YAML lists or mappings are read as YAML (for object params)."""
    out: dict[str, Any] = {}
    for key, value in pairs(values, "--param").items():
        stripped = value.strip()
        if stripped.startswith(("[", "{")):
            try:
                out[key] = yaml.safe_load(stripped)
                continue
            except yaml.YAMLError as exc:
                raise UsageError(f"--param {key}: not valid YAML: {exc}") from None
        out[key] = value
    return out


def repo_paths(values: Sequence[str] | None) -> dict[str, Path]:
    return {k: Path(v) for k, v in pairs(values, "--repo").items()}


def project_repos(root: Path) -> dict[str, Path]:
    """Repository aliases mapped to local folders by the project's `pyproject.toml`:

        [tool.amlops.repositories]
        templates = "templates/azure-devops"   # relative to the project root
        "owner/repo" = "amlops:"                 # a GitHub repository of `uses:`; `amlops:<path>` is the
                                                 # step library of the installed amlops (amlops.library)

    `--repo ALIAS=PATH` overrides an entry. No file or no table means no mapping."""
    file = root / "pyproject.toml"
    if not file.is_file():
        return {}
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{file}: {exc}") from None
    table = document.get("tool", {}).get("amlops", {}).get("repositories", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise UsageError(f"{file}: [tool.amlops.repositories] must map each alias to a folder (a string)")
    try:
        return {str(alias): library.resolve(folder, root) for alias, folder in table.items()}
    except ValueError as exc:
        raise UsageError(f"{file}: [tool.amlops.repositories]: {exc}") from None


def repo_root_for(path: Path, settings: Any) -> Path:
    """The project folder if the file lies inside it, else the file's own folder."""
    if settings is not None:
        root = Path(settings.project.root).resolve()
        try:
            path.resolve().relative_to(root)
            return root
        except ValueError:
            pass
    return path.resolve().parent


def dump(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(plain(document), sort_keys=False, allow_unicode=True, width=1000)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the pipeline file (Azure Pipelines YAML)")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="a pipeline parameter")
    parser.add_argument("--var", action="append", metavar="NAME=VALUE", help="a variable (compile-time)")
    parser.add_argument(
        "--repo",
        action="append",
        metavar="ALIAS=PATH",
        help="local folder of a resources.repositories alias (for file.yml@alias); default: "
        "[tool.amlops.repositories] of the project's pyproject.toml",
    )


def pipeline_file(args: argparse.Namespace) -> tuple[Path, Path, dict[str, Path]]:
    """`args.file` (which must exist), its project root and the repository aliases mapped for it (the
    project's `[tool.amlops.repositories]`, then `--repo`)."""
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"no such pipeline file: {path}")
    root = repo_root_for(path, getattr(args, "settings", None))
    return path, root, {**project_repos(root), **repo_paths(args.repo)}


def execute(args: argparse.Namespace) -> int:
    path, root, repos = pipeline_file(args)
    document = expand_pipeline(
        path,
        repo_root=root,
        repos=repos,
        parameters=parameter_values(args.param),
        variables=pairs(args.var, "--var"),
    )
    sys.stdout.write(dump(document))
    return 0
