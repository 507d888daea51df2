"""The step library (`templates/`) that belongs to this amlops: the same commit, so the same pinned ref.

The wheel carries it as package data (`amlops/library/templates/`); an amlops run from a template checkout
uses the checkout's own `templates/`. A project whose pipelines take the step library from the template
repository at a pinned ref maps that repository to it for local runs (`[tool.amlops.repositories]`, the
value `amlops:<path inside the library>`), since its amlops is installed from that same ref.
"""

from __future__ import annotations

from pathlib import Path

PREFIX = "amlops:"
_PACKAGED = Path(__file__).resolve().parent / "library"
_CHECKOUT = Path(__file__).resolve().parents[2]


def step_library_root() -> Path | None:
    """The folder holding `templates/` (the layout of the template repository), or None if absent."""
    for root in (_PACKAGED, _CHECKOUT):
        if (root / "templates" / "azure-devops").is_dir() and (root / "templates" / "github").is_dir():
            return root
    return None


def resolve(value: str, project: Path) -> Path:
    """A `[tool.amlops.repositories]` value: `amlops:<path>` inside the step library, else a folder relative
    to the project. Raises ValueError when the library is not there."""
    if not value.startswith(PREFIX):
        return (project / value).resolve()
    root = step_library_root()
    if root is None:
        raise ValueError(f"'{value}': this amlops carries no step library (templates/)")
    return (root / value.removeprefix(PREFIX).lstrip("/")).resolve()
