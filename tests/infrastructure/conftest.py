"""Shared fixtures for the checks of the committed trees: checkov, and its reports cached per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.infra import check

REPOSITORY = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = REPOSITORY / "infrastructure"


@pytest.fixture(scope="session")
def checkov() -> Path:
    """This repository's checkov (CHECKOV_BIN, else tools/checkov/.venv from `make tools`, else PATH)."""
    try:
        return check.find_checkov(REPOSITORY)
    except check.CheckError as error:
        pytest.fail(error.message)


@pytest.fixture(scope="session")
def checkov_reports(tmp_path_factory: pytest.TempPathFactory, checkov: Path):
    """Runs checkov at most once per (tree, environment, network mode) in a test session."""
    cache: dict[tuple[str, str, str], check.CheckovReport] = {}

    def report(tree: str, environment: str, mode: str) -> check.CheckovReport:
        key = (tree, environment, mode)
        if key not in cache:
            workdir = tmp_path_factory.mktemp(f"checkov-{tree}-{environment}-{mode}")
            cache[key] = check.run_checkov(INFRASTRUCTURE, tree, environment, mode, workdir, checkov=checkov)
        return cache[key]

    return report


@pytest.fixture(scope="session")
def checkov_example_reports(tmp_path_factory: pytest.TempPathFactory, checkov: Path):
    """Runs checkov at most once per tree over all the modules' `waf-aligned` examples in a test session."""
    cache: dict[str, check.CheckovReport] = {}

    def report(tree: str) -> check.CheckovReport:
        if tree not in cache:
            workdir = tmp_path_factory.mktemp(f"checkov-examples-{tree}")
            cache[tree] = check.run_checkov_examples(INFRASTRUCTURE, tree, workdir, checkov=checkov)
        return cache[tree]

    return report
