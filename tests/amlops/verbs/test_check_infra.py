"""check-infra: the offline plan/apply of the step library, on a small project of its own (checkov faked;
tests/infrastructure and the generated-project tests run the real one)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from amlops import cli
from amlops.infra import check


def _project(root: Path, folder: str = "infrastructure") -> Path:
    infrastructure = root / folder
    (infrastructure / "terraform" / "environments").mkdir(parents=True)
    (infrastructure / "terraform" / "main.tf").write_text('variable "network_mode" {\n  type = string\n}\n')
    (infrastructure / "terraform" / "environments" / "dev.tfvars").write_text('network_mode = "public"\n')
    (infrastructure / "terraform" / "environments" / "prod.tfvars").write_text('network_mode = "private"\n')
    (infrastructure / ".checkov.yaml").write_text("skip-check:\n  - CKV_AZURE_1  # reason one\n")
    (infrastructure / ".checkov.public.yaml").write_text("skip-check:\n  - CKV_AZURE_3  # public only\n")
    return root


@pytest.fixture
def fake_checkov(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SimpleNamespace:
    """checkov at CHECKOV_BIN (an empty file) and run_checkov faked: records its calls in `calls`, reports
    the findings in `failed` as failed."""
    binary = tmp_path / "checkov"
    binary.touch()
    monkeypatch.setenv("CHECKOV_BIN", str(binary))
    fake = SimpleNamespace(calls=[], failed=set())

    def run_checkov(infrastructure, tree, environment, mode, workdir, *, checkov):
        fake.calls.append((infrastructure, tree, environment, mode, checkov))
        return check.CheckovReport(frozenset(), frozenset(fake.failed), frozenset(), ("checkov",))

    monkeypatch.setattr(check, "run_checkov", run_checkov)
    return fake


def _main(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], dict, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    return code, lines, json.loads(lines[-1]), captured.err


def test_ok_prints_the_report_then_the_result(tmp_path, fake_checkov, capsys) -> None:
    project = _project(tmp_path / "project")
    code, lines, result, _ = _main(
        "--project-dir", str(project), "check-infra", "terraform", "--environment", "prod", capsys=capsys
    )
    assert code == 0
    assert fake_checkov.calls == [
        (project.resolve() / "infrastructure", "terraform", "prod", "private", tmp_path / "checkov")
    ]  # prod's own mode by default
    assert lines[:2] == [
        "[terraform] parse + fmt: ok",
        "[terraform] checkov (prod, private): 0 passed, 0 failed; 1 check ids skipped by the skip lists",
    ]
    assert lines[-2] == check.NOT_DEPLOYED
    assert result["ok"] is True
    assert (result["tool"], result["environment"], result["network_mode"]) == ("terraform", "prod", "private")
    assert result["deployed"] is False


def test_network_mode_and_infrastructure_dir(tmp_path, fake_checkov, capsys) -> None:
    project = _project(tmp_path / "project", folder="iac")
    code, lines, result, _ = _main(
        "--project-dir", str(project), "check-infra", "terraform", "--network-mode", "private",
        "--infrastructure-dir", str(project / "iac"), capsys=capsys,
    )  # fmt: skip
    assert code == 0, lines
    assert fake_checkov.calls[0][0] == (project / "iac").resolve()
    assert "(dev, private)" in lines[1]
    assert result["infrastructure_dir"] == str((project / "iac").resolve())


def test_failed_checks_fail_the_run_naming_each(tmp_path, fake_checkov, capsys) -> None:
    fake_checkov.failed = {check.Finding("CKV_AZURE_5", "azurerm_x.y", "/main.tf")}
    project = _project(tmp_path / "project")
    code, lines, result, err = _main("--project-dir", str(project), "check-infra", "terraform", capsys=capsys)
    assert code == 1
    assert "  checkov CKV_AZURE_5 failed for azurerm_x.y (/main.tf)" in lines
    assert lines[-2] == check.NOT_DEPLOYED
    assert result["ok"] is False
    assert result["problems"] == ["checkov CKV_AZURE_5 failed for azurerm_x.y (/main.tf)"]
    assert result["error_type"] == "FailedError"
    assert "1 problem(s)" in err


def test_without_checkov_it_says_how_to_install_it_and_that_nothing_was_deployed(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("CHECKOV_BIN", str(tmp_path / "missing"))
    project = _project(tmp_path / "project")
    code, _, result, err = _main("--project-dir", str(project), "check-infra", "terraform", capsys=capsys)
    assert code == 2
    assert "make tools" in err
    assert check.NOT_DEPLOYED in err
    assert result["error_type"] == "CheckError"
    assert result["deployed"] is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bicep"], "no bicep tree in"),
        (["terraform", "--environment", "qa"], "environments: dev, prod"),
        (["terraform", "--network-mode", "open"], None),  # argparse
    ],
)
def test_usage_errors(tmp_path, fake_checkov, capsys, argv: list[str], message: str | None) -> None:
    project = _project(tmp_path / "project")
    code = cli.main(["--project-dir", str(project), "check-infra", *argv])
    captured = capsys.readouterr()
    assert code == 2
    if message is not None:
        assert message in json.loads(captured.out.splitlines()[-1])["error"]
    assert fake_checkov.calls == []  # checkov never ran
