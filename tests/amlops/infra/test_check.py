"""amlops.infra.check, the code of `amlops check-infra`: skip lists, finding checkov, the checkov command and
report, the check's result; on small trees of its own (tests/infrastructure checks the committed trees)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlops.infra import check


def _infrastructure(root: Path) -> Path:
    """A minimal infrastructure folder: a Terraform tree with a dev environment, and both skip lists."""
    infrastructure = root / "infrastructure"
    (infrastructure / "terraform" / "environments").mkdir(parents=True)
    (infrastructure / "terraform" / "main.tf").write_text('variable "network_mode" {\n  type = string\n}\n')
    (infrastructure / "terraform" / "environments" / "dev.tfvars").write_text('network_mode = "public"\n')
    (infrastructure / "terraform" / "environments" / "qa.tfvars").write_text("")
    (infrastructure / ".checkov.yaml").write_text(
        "skip-check:\n  - CKV_AZURE_1  # reason one\n  - CKV_AZURE_2  # reason two\n"
    )
    (infrastructure / ".checkov.public.yaml").write_text("skip-check:\n  - CKV_AZURE_3  # public only\n")
    return infrastructure


# ------------------------------------------------------------------------------------------- skip lists


def test_parse_skips_reports_entries_without_reason() -> None:
    text = "skip-check:\n  - CKV_AZURE_1  # a reason long enough to count\n  - CKV_AZURE_2\nquiet: true\n"
    assert check.parse_skips(text) == {"CKV_AZURE_1": "a reason long enough to count", "CKV_AZURE_2": ""}


def test_skip_lists_come_from_the_infrastructure_folder(tmp_path: Path) -> None:
    infrastructure = _infrastructure(tmp_path)
    assert check.skip_files(infrastructure) == {
        "all": infrastructure / ".checkov.yaml",
        "public": infrastructure / ".checkov.public.yaml",
    }
    assert set(check.skips_for(infrastructure, "private")) == {"CKV_AZURE_1", "CKV_AZURE_2"}
    assert set(check.skips_for(infrastructure, "public")) == {"CKV_AZURE_1", "CKV_AZURE_2", "CKV_AZURE_3"}


def test_environments_and_default_network_mode(tmp_path: Path) -> None:
    infrastructure = _infrastructure(tmp_path)
    assert check.environments(infrastructure, "terraform") == ["dev", "qa"]
    assert check.environments(infrastructure, "bicep") == []
    assert check.default_network_mode(infrastructure, "terraform", "dev") == "public"
    assert check.default_network_mode(infrastructure, "terraform", "qa") == "private"  # sets none


def test_fmt_check_notices_unformatted_files(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\n  a = 1\n  bb = "x"\n}\n')
    assert check.terraform_unformatted(tmp_path) == ["main.tf"]


# ------------------------------------------------------------------------------------------ find checkov


def test_checkov_bin_wins(tmp_path: Path) -> None:
    binary = tmp_path / "my-checkov"
    binary.touch()
    (tmp_path / check.PROJECT_CHECKOV).parent.mkdir(parents=True)
    (tmp_path / check.PROJECT_CHECKOV).touch()
    assert check.find_checkov(tmp_path, {"CHECKOV_BIN": str(binary)}) == binary


def test_checkov_bin_that_does_not_exist_fails_with_instructions(tmp_path: Path) -> None:
    with pytest.raises(check.CheckError, match=r"not installed at .*missing .*make tools"):
        check.find_checkov(tmp_path, {"CHECKOV_BIN": str(tmp_path / "missing")}, which=lambda _: "/x")


def test_the_project_checkov_then_path(tmp_path: Path) -> None:
    assert check.find_checkov(tmp_path, {}, which=lambda name: f"/opt/bin/{name}") == Path("/opt/bin/checkov")
    (tmp_path / check.PROJECT_CHECKOV).parent.mkdir(parents=True)
    (tmp_path / check.PROJECT_CHECKOV).touch()
    assert check.find_checkov(tmp_path, {}, which=lambda _: "/opt/bin/checkov") == (
        tmp_path / check.PROJECT_CHECKOV
    )


def test_no_checkov_anywhere_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(check.CheckError, match="make tools") as caught:
        check.find_checkov(tmp_path, {}, which=lambda _: None)
    assert "install checkov" in caught.value.message
    assert caught.value.exit_code == 2


# ------------------------------------------------------------------------------- checkov command, report


def test_checkov_input_reads_the_given_folder(tmp_path: Path) -> None:
    infrastructure = _infrastructure(tmp_path)
    workdir = tmp_path / "work"
    workdir.mkdir()
    folder, extra = check.checkov_input(infrastructure, "terraform", "dev", "private", workdir)
    assert folder == infrastructure / "terraform"
    assert extra[:2] == ["--var-file", str(infrastructure / "terraform" / "environments" / "dev.tfvars")]
    assert (workdir / "network-mode-private.tfvars").read_text() == 'network_mode = "private"\n'
    assert extra[-2:] == ["--skip-path", check.TERRAFORM_EXAMPLES_SKIP_PATH]


def test_checkov_command() -> None:
    command = check.checkov_command(
        Path("/bin/checkov"),
        "bicep",
        Path("/scan"),
        config_file=Path("/infra/.checkov.yaml"),
        skips=["CKV_B_2", "CKV_A_1"],
        extra=["--skip-path", "x"],
    )
    assert command[:5] == ["/bin/checkov", "--directory", "/scan", "--framework", "bicep"]
    assert command[command.index("--config-file") + 1] == "/infra/.checkov.yaml"
    assert command[command.index("--skip-check") + 1] == "CKV_A_1,CKV_B_2"
    assert "--skip-download" in command
    assert command[-2:] == ["--skip-path", "x"]


def test_parse_checkov_output_reads_one_document_or_a_list() -> None:
    item = {"check_id": "CKV_AZURE_1", "resource": "r", "file_path": "/main.tf"}
    called = {**item, "check_id": "CKV_AZURE_2", "caller_file_path": "/examples/x/main.tf"}
    one = {"results": {"passed_checks": [item], "failed_checks": [called], "skipped_checks": []}}
    report = check.parse_checkov_output(json.dumps(one), ["checkov"])
    assert report.ids("passed") == {"CKV_AZURE_1"}
    assert report.failed == {check.Finding("CKV_AZURE_2", "r", "/main.tf", "/examples/x/main.tf")}
    assert report.command == ("checkov",)
    both = check.parse_checkov_output(json.dumps([one, {"results": {"passed_checks": [called]}}]), [])
    assert both.ids("passed") == {"CKV_AZURE_1", "CKV_AZURE_2"}


def test_checkov_that_cannot_run_is_a_check_error(tmp_path: Path) -> None:
    infrastructure = _infrastructure(tmp_path)
    with pytest.raises(check.CheckError, match="checkov could not run"):
        check.run_checkov(
            infrastructure, "terraform", "dev", "public", tmp_path, checkov=tmp_path / "no-such-checkov"
        )


# ------------------------------------------------------------------------------------------- the check


def _report(failed: frozenset[check.Finding] = frozenset()) -> check.CheckovReport:
    passed = frozenset({check.Finding("CKV_AZURE_9", "r", "f")})
    return check.CheckovReport(passed, failed, frozenset(), ("checkov",))


def test_check_parses_then_runs_checkov_on_the_given_folder(monkeypatch, tmp_path: Path) -> None:
    infrastructure = _infrastructure(tmp_path)
    calls = []

    def fake_run_checkov(folder, tree, environment, mode, workdir, *, checkov):
        calls.append((folder, tree, environment, mode, checkov))
        return _report()

    monkeypatch.setattr(check, "run_checkov", fake_run_checkov)
    result = check.check(infrastructure, "terraform", "dev", "public", checkov=Path("/bin/checkov"))
    assert calls == [(infrastructure, "terraform", "dev", "public", Path("/bin/checkov"))]
    assert result.ok
    assert result.skipped_ids == 3
    assert result.lines() == [
        "[terraform] parse + fmt: ok",
        "[terraform] checkov (dev, public): 1 passed, 0 failed; 3 check ids skipped by the skip lists",
        check.NOT_DEPLOYED,
    ]
    assert result.to_dict()["deployed"] is False


def test_check_result_names_every_problem() -> None:
    failed = frozenset({check.Finding("CKV_AZURE_5", "azurerm_x.y", "/main.tf")})
    result = check.CheckResult("bicep", "prod", "private", ("parse: main.bicep: bad",), _report(failed), 2)
    assert not result.ok
    assert result.problems == [
        "parse: main.bicep: bad",
        "checkov CKV_AZURE_5 failed for azurerm_x.y (/main.tf)",
    ]
    lines = result.lines()
    assert lines[0] == "[bicep] parse: FAILED"
    assert "(prod, private): 1 passed, 1 failed" in lines[1]
    assert lines[2:4] == [f"  {p}" for p in result.problems]
    assert lines[-1] == check.NOT_DEPLOYED
    document = result.to_dict()
    assert document["failed"] == [{"check_id": "CKV_AZURE_5", "resource": "azurerm_x.y", "file": "/main.tf"}]
    assert document["ok"] is False
