"""Generate projects from a clean export of this repository, with HOME, cookiecutter's config and TMPDIR
isolated under pytest's temporary folders."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from amlops.render.command import export_template

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files git tracks, as a CI clone would have them (others' untracked work left out)."""
    destination = tmp_path_factory.mktemp("template") / "amlops"
    export_template(REPO, destination, include_untracked=False)
    return destination


@pytest.fixture(scope="session")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """HOME, COOKIECUTTER_CONFIG and TMPDIR inside a temporary folder for the whole session."""
    root = tmp_path_factory.mktemp("isolated")
    (root / "home").mkdir()
    (root / "tmp").mkdir()
    config = root / "cookiecutter.yaml"
    settings = {"replay_dir": str(root / "replay"), "cookiecutters_dir": str(root / "clones")}
    config.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(root / "home"))
        patch.setenv("COOKIECUTTER_CONFIG", str(config))
        patch.setenv("TMPDIR", str(root / "tmp"))
        patch.setattr(tempfile, "tempdir", str(root / "tmp"))
        yield root


Generate = Callable[..., Path]  # also declared in test_generate.py (tests are not a package)


@pytest.fixture(scope="session")
def generate(template: Path, isolated: Path, tmp_path_factory: pytest.TempPathFactory) -> Generate:
    """generate(**answers) -> project folder, through cookiecutter's own API (as `cookiecutter <repo>`)."""
    from cookiecutter.main import cookiecutter

    cache: dict[tuple[tuple[str, str], ...], Path] = {}

    def run(**answers: str) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in cache:
            output = tmp_path_factory.mktemp("out")
            cache[key] = Path(
                cookiecutter(str(template), no_input=True, extra_context=answers, output_dir=str(output))
            )
        return cache[key]

    return run
