"""The environments of the committed trees and the network mode each parameter file sets."""

from __future__ import annotations

from pathlib import Path

from amlops.infra import check

INFRASTRUCTURE = Path(__file__).resolve().parents[2] / "infrastructure"


def test_both_trees_have_the_same_environments() -> None:
    for tree in check.TREES:
        assert check.environments(INFRASTRUCTURE, tree) == list(check.ENVIRONMENTS)


def test_default_network_mode_comes_from_the_parameter_files() -> None:
    for tree in check.TREES:
        assert check.default_network_mode(INFRASTRUCTURE, tree, "dev") == "public"
        assert check.default_network_mode(INFRASTRUCTURE, tree, "prod") == "private"
