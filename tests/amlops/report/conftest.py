"""Fixtures of the report's tests (facts in samples.py)."""

from __future__ import annotations

import pytest

from amlops.report.facts import RunFacts

from .samples import classification_facts, regression_facts


@pytest.fixture
def regression() -> RunFacts:
    return regression_facts()


@pytest.fixture
def classification() -> RunFacts:
    return classification_facts()
