"""The command the step library runs locally instead of plan/apply or what-if/deploy."""

from __future__ import annotations

import offline_check
import pytest


def test_main_without_checkov_fails_and_says_nothing_was_deployed(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(offline_check, "CHECKOV", tmp_path / "missing")
    assert offline_check.main(["terraform", "--environment", "dev"]) == 2
    err = capsys.readouterr().err
    assert "make tools" in err
    assert offline_check.NOT_DEPLOYED in err


@pytest.mark.parametrize(
    ("failed", "code"), [(frozenset(), 0), (frozenset({offline_check.Finding("X", "r", "f")}), 1)]
)
def test_main_reports_checkov_failures(monkeypatch, capsys, failed, code: int) -> None:
    def fake_checkov(tree, environment, mode, workdir):
        assert (tree, environment, mode) == ("bicep", "prod", "private")  # prod's own mode by default
        return offline_check.CheckovReport(frozenset(), failed, frozenset(), ("checkov",))

    monkeypatch.setattr(offline_check, "run_checkov", fake_checkov)
    assert offline_check.main(["bicep", "--environment", "prod"]) == code
    out = capsys.readouterr().out
    assert "[bicep] parse: ok" in out
    assert out.rstrip().endswith(offline_check.NOT_DEPLOYED)


def test_default_network_mode_comes_from_the_parameter_files() -> None:
    for tree in offline_check.TREES:
        assert offline_check.default_network_mode(tree, "dev") == "public"
        assert offline_check.default_network_mode(tree, "prod") == "private"
