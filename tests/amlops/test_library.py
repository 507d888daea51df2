"""The step library that belongs to this amlops, and the `amlops:` folders of [tool.amlops.repositories]."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops import library
from amlops.errors import UsageError
from amlops.lifecycle.commands_expand import project_repos

REPO = Path(__file__).resolve().parents[2]


def test_the_step_library_of_a_checkout_is_its_templates_folder() -> None:
    assert library.step_library_root() == REPO


def test_repository_values_are_project_folders_or_library_folders(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.amlops.repositories]\nlocal = "steps"\ntemplates = "amlops:templates/azure-devops"\n'
        '"contoso/steps" = "amlops:"\n',
        encoding="utf-8",
    )
    assert project_repos(tmp_path) == {
        "local": (tmp_path / "steps").resolve(),
        "templates": REPO / "templates" / "azure-devops",
        "contoso/steps": REPO,
    }


def test_an_amlops_without_its_library_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "step_library_root", lambda: None)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.amlops.repositories]\ntemplates = "amlops:templates/azure-devops"\n', encoding="utf-8"
    )
    with pytest.raises(UsageError, match=r"pyproject.toml: \[tool.amlops.repositories\]: .*no step library"):
        project_repos(tmp_path)


def test_the_wheel_carries_the_library(tmp_path: Path) -> None:
    """What a pinned project installs: the same templates/ inside the package."""
    import shutil
    import subprocess
    import zipfile

    uv = shutil.which("uv")
    assert uv is not None
    done = subprocess.run(
        [uv, "build", "--quiet", "--wheel", "--out-dir", str(tmp_path), str(REPO)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("amlops-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {p.relative_to(REPO).as_posix() for p in (REPO / "templates").rglob("*") if p.is_file()}
    assert {f"amlops/library/{name}" for name in source} <= names
