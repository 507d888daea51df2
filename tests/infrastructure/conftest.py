"""Shared fixtures for the infrastructure checks: paths, and checkov reports cached per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

INFRASTRUCTURE = Path(__file__).resolve().parents[2] / "infrastructure"
sys.path.insert(0, str(INFRASTRUCTURE))

import offline_check  # noqa: E402


@pytest.fixture(scope="session")
def checkov_reports(tmp_path_factory: pytest.TempPathFactory):
    """Runs checkov at most once per (tree, environment, network mode) in a test session."""
    cache: dict[tuple[str, str, str], offline_check.CheckovReport] = {}

    def report(tree: str, environment: str, mode: str) -> offline_check.CheckovReport:
        key = (tree, environment, mode)
        if key not in cache:
            workdir = tmp_path_factory.mktemp(f"checkov-{tree}-{environment}-{mode}")
            cache[key] = offline_check.run_checkov(tree, environment, mode, workdir)
        return cache[key]

    return report


@pytest.fixture(scope="session")
def checkov_example_reports(tmp_path_factory: pytest.TempPathFactory):
    """Runs checkov at most once per tree over all the modules' `waf-aligned` examples in a test session."""
    cache: dict[str, offline_check.CheckovReport] = {}

    def report(tree: str) -> offline_check.CheckovReport:
        if tree not in cache:
            workdir = tmp_path_factory.mktemp(f"checkov-examples-{tree}")
            cache[tree] = offline_check.run_checkov_examples(tree, workdir)
        return cache[tree]

    return report
