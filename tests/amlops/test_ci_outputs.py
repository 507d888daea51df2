"""Step outputs written by amlops itself: detection, both dialects, multiline values, unknown keys."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from amlops import cli
from amlops.ci.azure_devops.logging_commands import parse_line
from amlops.ci_outputs import (
    CiOutputs,
    build_lines,
    detect,
    output_values,
    parse_mapping,
    summary_line,
    write,
    write_summary,
)
from amlops.errors import UsageError

RESULT = {"version": "3", "created": True, "metrics": {"rmse": 1.5}, "note": "two\nlines"}


def test_detect_from_the_environment(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    github = detect({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out})
    assert github == CiOutputs("github", (), Path(out))
    assert detect({"TF_BUILD": "True"}) == CiOutputs("azure-devops", ())
    assert detect({}) is None
    assert detect({"GITHUB_OUTPUT": out}) is None  # not in GitHub Actions: a stray variable
    assert detect({"TF_BUILD": "True"}, "none") is None
    assert detect({}, "azure-devops", [("v", "version")]) == CiOutputs("azure-devops", (("v", "version"),))
    with pytest.raises(UsageError, match="GITHUB_OUTPUT"):
        detect({}, "github")


def test_values_strings_as_is_others_compact_json_and_result_always() -> None:
    values = output_values(RESULT, [("modelVersion", "version"), ("created", "created"), ("m", "metrics")])
    assert values[:3] == [("modelVersion", "3"), ("created", "true"), ("m", '{"rmse":1.5}')]
    assert values[3][0] == "result"
    assert json.loads(values[3][1]) == RESULT


def test_unknown_key_names_it_and_the_available_ones() -> None:
    with pytest.raises(UsageError) as caught:
        output_values(RESULT, [("x", "nope")])
    assert "'nope'" in caught.value.message
    assert "available: created, metrics, note, version" in caught.value.message
    assert caught.value.exit_code == 2


def test_azure_devops_lines_round_trip_through_the_agent_parser() -> None:
    lines = build_lines("azure-devops", [("modelVersion", "3"), ("note", "two\nlines")])
    assert lines[0] == "##vso[task.setvariable variable=modelVersion;isOutput=true]3"
    command = parse_line(lines[1])
    assert command is not None
    assert command.properties == {"variable": "note", "isoutput": "true"}
    assert command.message == "two\nlines"


def test_github_lines_single_and_multiline() -> None:
    lines = build_lines("github", [("v", "3"), ("note", "two\nlines")], delimiter="EOF_X")
    assert lines == ["v=3", "note<<EOF_X", "two", "lines", "EOF_X"]
    generated = build_lines("github", [("note", "a\nb")])
    assert generated[0].startswith("note<<")
    assert generated[-1] == generated[0].removeprefix("note<<")


def test_mapping_syntax() -> None:
    assert parse_mapping("modelVersion=version") == ("modelVersion", "version")
    for bad in ("novalue", "=key", "name=", "result=version"):
        with pytest.raises(ValueError, match=r"NAME=KEY|always written"):
            parse_mapping(bad)


def test_write_github_appends_and_writes_nothing_on_unknown_key(tmp_path: Path) -> None:
    out = tmp_path / "github_output"
    out.write_text("earlier=1\n", encoding="utf-8")
    write(CiOutputs("github", (("v", "version"),), out), {"version": "3"}, io.StringIO())
    assert out.read_text(encoding="utf-8") == 'earlier=1\nv=3\nresult={"version":"3"}\n'
    with pytest.raises(UsageError):
        write(CiOutputs("github", (("v", "nope"),), out), {"version": "3"}, io.StringIO())
    assert out.read_text(encoding="utf-8").count("\n") == 3


def _register(tmp_path: Path, *options: str, environ: dict[str, str]) -> int:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    argv = [
        "--state-dir",
        str(tmp_path / "state"),
        *options,
        "register-data",
        "--name",
        "d",
        "--path",
        str(data),
    ]
    return cli.main(argv, environ=environ)


def test_cli_azure_devops_lines_come_before_the_json_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _register(tmp_path, "--output", "dataVersion=version", environ={"TF_BUILD": "True"}) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "##vso[task.setvariable variable=dataVersion;isOutput=true]1"
    assert lines[1].startswith("##vso[task.setvariable variable=result;isOutput=true]{")
    assert json.loads(lines[-1])["version"] == "1"
    assert len(lines) == 3


def test_cli_github_appends_to_the_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "github_output"
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out)}
    assert _register(tmp_path, "--output", "data-version=version", environ=environ) == 0
    written = out.read_text(encoding="utf-8").splitlines()
    assert written[0] == "data-version=1"
    assert written[1].startswith("result={")
    assert len(capsys.readouterr().out.splitlines()) == 1  # stdout: only the JSON result


def test_cli_unknown_key_exits_2_and_keeps_the_result_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _register(tmp_path, "--output", "x=nope", environ={"TF_BUILD": "True"}) == 2
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1
    assert not lines[0].startswith("##vso")
    result = json.loads(lines[0])
    assert result["version"] == "1"
    assert "'nope'" in result["error"]
    assert "available: created, hash, name, path, version" in captured.err


def test_cli_in_process_without_environ_writes_no_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_BUILD", "True")
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n", encoding="utf-8")
    assert cli.main(["--state-dir", str(tmp_path), "register-data", "--name", "d", "--path", str(data)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_a_summary_goes_to_the_job_summary_or_the_build_summary(tmp_path: Path) -> None:
    markdown = tmp_path / "summary.md"
    markdown.write_text("## Run report\n")
    step_summary = tmp_path / "step_summary"
    step_summary.write_text("earlier step\n")
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(step_summary),
    }
    github = detect(environ)
    assert github is not None
    assert github.github_step_summary == step_summary
    stdout = io.StringIO()
    assert write_summary(github, markdown, stdout) == "github job summary"
    assert step_summary.read_text() == "earlier step\n## Run report\n"  # appended, as GitHub expects
    assert stdout.getvalue() == ""
    azure = detect({"TF_BUILD": "True"})
    assert write_summary(azure, markdown, stdout) == "azure-devops build summary"
    assert stdout.getvalue() == f"##vso[task.uploadsummary]{markdown.resolve()}\n"
    assert write_summary(None, markdown, stdout) is None
    without = detect({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out")})
    assert write_summary(without, markdown, io.StringIO()) is None


def test_a_summary_file_whose_name_breaks_a_logging_command_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="logging command"):
        summary_line(tmp_path / "a]b.md")


def test_a_failed_verb_writes_result_and_the_outputs_its_result_has(tmp_path: Path) -> None:
    """A failed pipeline run still names its run id: the run report after it needs that output."""
    out = tmp_path / "github_output"
    ci = CiOutputs("github", (("run-id", "run_id"), ("status", "status")), out)
    write(ci, {"run_id": "train-1", "error": "step 'train' failed"}, io.StringIO(), only_result=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "run-id=train-1"
    assert lines[1].startswith("result={")
    assert len(lines) == 2  # no status: the result has none, and that is no error here


def test_the_run_pages_artifacts_from_each_systems_variables() -> None:
    from amlops.ci_outputs import artifacts_url

    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com/",
        "GITHUB_REPOSITORY": "o/r",
    }
    assert (
        artifacts_url({**github, "GITHUB_RUN_ID": "7"}) == "https://github.com/o/r/actions/runs/7#artifacts"
    )
    assert artifacts_url(github) is None  # no run id
    ado = {
        "TF_BUILD": "True",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/contoso/",
        "SYSTEM_TEAMPROJECT": "ML Ops",
        "BUILD_BUILDID": "12",
    }
    assert artifacts_url(ado) == (
        "https://dev.azure.com/contoso/ML%20Ops/_build/results?buildId=12&view=artifacts&type=publishedArtifacts"
    )
    assert artifacts_url({"BUILD_BUILDID": "12"}) is None  # not in CI
