"""Which CI dialect a pipeline file is written in, read from the file itself.

GitHub Actions workflows have a top-level `on:` and `jobs:` whose jobs have `runs-on:` (or call a reusable
workflow with `uses:`); anything else is Azure Pipelines, whose loader then reports a syntax error with the
file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it (several times faster), else the pure-Python one; both
# read the same YAML 1.1 safe schema.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, with libyaml when it is there. Raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def dialect(path: Path) -> str:
    """'github' or 'azure-devops'."""
    try:
        doc = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return "azure-devops"  # the Azure DevOps loader reports the syntax error with file and line
    return dialect_of(doc)


def dialect_of(doc: Any) -> str:
    """The dialect of an already loaded document (see `dialect`)."""
    if isinstance(doc, Mapping):
        has_on = "on" in doc or True in doc  # YAML 1.1 reads a bare `on` key as True
        jobs = doc.get("jobs")
        if (
            has_on
            and isinstance(jobs, Mapping)
            and any(isinstance(j, Mapping) and ("runs-on" in j or "uses" in j) for j in jobs.values())
        ):
            return "github"
    return "azure-devops"
