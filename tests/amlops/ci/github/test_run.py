"""Pieces of the GitHub runner tested directly: stand-in mapping, event files, log parsing, repo copies."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from amlops.ci.errors import PipelineError
from amlops.ci.github.actlog import parse_log
from amlops.ci.github.run import (
    event_payload,
    local_repository_args,
    prepare_repo,
    triggered_events,
)
from amlops.ci.github.workflow import JobInfo, parse_remote, render_name, resolve_inputs
from amlops.ci.result import Status
from amlops.yamlsource import Loc

LOC = Loc("w.yml", 3)
SHA_A = "a" * 40
SHA_B = "b" * 40


def test_local_repository_args_keep_each_pinned_sha_and_the_spelling() -> None:
    uses = [
        parse_remote(f"actions/checkout@{SHA_A}", LOC),
        parse_remote(f"actions/checkout@{SHA_B}", LOC),
        parse_remote(f"Azure/login@{SHA_A}", LOC),
        parse_remote(f"actions/checkout@{SHA_A}", LOC),
    ]
    args = local_repository_args(uses)
    keys = [arg.split("=", 1)[0] for arg in args[1::2]]
    assert keys == [f"Azure/login@{SHA_A}", f"actions/checkout@{SHA_A}", f"actions/checkout@{SHA_B}"]
    assert all(Path(arg.split("=", 1)[1], "action.yml").is_file() for arg in args[1::2])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("actions/checkout@v4", "not pinned to a full 40-hex commit SHA"),
        (f"actions/checkout@{SHA_A[:39]}", "not pinned"),
        (f"actions/checkout@{SHA_A.upper()}", "not pinned"),
        ("checkout", "not of the form owner/repo"),
    ],
)
def test_parse_remote_refuses(text: str, message: str) -> None:
    with pytest.raises(PipelineError, match=message) as raised:
        parse_remote(text, LOC)
    assert str(raised.value).startswith("w.yml:3: ")


def test_unknown_stand_in_lists_the_known_ones() -> None:
    with pytest.raises(
        PipelineError, match=r"has no local stand-in; the local runner knows only: .*actions/checkout"
    ):
        local_repository_args([parse_remote(f"nobody/nothing@{SHA_A}", LOC)])


def test_stand_in_for_a_missing_subpath_is_refused() -> None:
    with pytest.raises(PipelineError, match="has no local stand-in"):
        local_repository_args([parse_remote(f"actions/cache/restore@{SHA_A}", LOC)])


def test_event_payloads() -> None:
    document = {"on": {"schedule": [{"cron": "5 4 * * *"}]}}
    assert event_payload("schedule", ref="refs/heads/main", inputs={}, payload={}, document=document) == {
        "schedule": "5 4 * * *"
    }
    dispatch = event_payload(
        "workflow_dispatch", ref="refs/heads/x", inputs={"a": "1"}, payload={}, document={}
    )
    assert dispatch == {"ref": "refs/heads/x", "inputs": {"a": "1"}}
    rd = event_payload(
        "repository_dispatch", ref="refs/heads/main", inputs={}, payload={"action": "t"}, document={}
    )
    assert rd["action"] == "t"
    assert rd["client_payload"] == {}


def test_triggered_events_forms() -> None:
    assert triggered_events({"on": "push"}) == {"push"}
    assert triggered_events({"on": ["push", "schedule"]}) == {"push", "schedule"}
    assert triggered_events({"on": {"workflow_call": None}}) == {"workflow_call"}


@pytest.mark.parametrize(
    ("value", "inputs", "expected"),
    [
        ("prod", {}, "prod"),
        ("${{ inputs.environment }}", {"environment": "dev"}, "dev"),
        ("${{ github.event.inputs.environment }}-x", {"environment": "dev"}, "dev-x"),
        ("${{ inputs.missing }}", {}, None),
        ("${{ vars.ENV }}", {"ENV": "dev"}, None),
    ],
)
def test_resolve_inputs(value: str, inputs: dict[str, str], expected: str | None) -> None:
    assert resolve_inputs(value, inputs) == expected


def record(**fields: object) -> str:
    return json.dumps({"level": "info", "matrix": {}, **fields})


def test_parse_log_groups_runs_steps_outputs_and_reusable_jobs() -> None:
    lines = [
        record(job="w.yml/a", jobID="a", msg="⭐ Run Main x", stage="Main", step="x", stepID=["s"]),
        record(job="w.yml/a", jobID="a", msg="hello\n", raw_output=True, stage="Main", stepID=["s"]),
        record(job="w.yml/a", jobID="a", msg="out", command="set-output", name="k", arg="v", stepID=["s"]),
        record(
            job="w.yml/a", jobID="a", msg="ok", stage="Main", step="x", stepID=["s"], stepResult="success"
        ),
        record(job="w.yml/a", jobID="a", msg="inner", stage="Main", stepID=["s", "t"], stepResult="failure"),
        record(job="w.yml/a", jobID="a", msg="done", jobResult="success"),
        record(job="call/r.yml/inner", jobID="inner", msg="done", jobResult="failure"),
        record(job="w.yml/m-1 ", jobID="m", matrix={"n": 1}, msg="done", jobResult="success"),
        record(job="w.yml/m-2 ", jobID="m", matrix={"n": 2}, msg="done", jobResult="success"),
        record(
            job="w.yml/x", jobID="x", msg="🚧  Skipping unsupported platform -- Try running with `-P y=...`"
        ),
        "plain text line",
    ]
    grouped, text = parse_log(lines)
    assert set(grouped) == {"a", "call/inner", "m", "x"}
    (run,) = grouped["a"]
    assert run.status == Status.SUCCEEDED
    assert run.lines == ("hello",)
    assert [(s.id, s.status, s.outputs) for s in run.steps] == [("s", Status.SUCCEEDED, {"k": "v"})]
    assert [r.matrix for r in grouped["m"]] == [{"n": 1}, {"n": 2}]
    assert grouped["call/inner"][0].status == Status.FAILED
    assert grouped["x"][0].status == Status.NOT_RUN
    assert "plain text line" in text


def test_prepare_repo_copies_a_plain_folder_into_a_git_repo_with_origin(tmp_path: Path) -> None:
    source = tmp_path / "project"
    (source / ".venv").mkdir(parents=True)
    (source / "a.txt").write_text("a", encoding="utf-8")
    work = prepare_repo(source, tmp_path / "run")
    assert work != source
    assert (work / "a.txt").read_text(encoding="utf-8") == "a"
    assert not (work / ".venv").exists()
    origin = subprocess.run(
        ["git", "-C", str(work), "remote", "get-url", "origin"], capture_output=True, text=True, check=True
    )
    assert origin.stdout.strip() == "https://github.com/local/project.git"
    assert not (source / ".git").exists()
    tracked = subprocess.run(
        ["git", "-C", str(work), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked == ["a.txt"]
    counted = subprocess.run(
        ["git", "-C", str(work), "count-objects", "-v"], capture_output=True, text=True, check=True
    ).stdout
    assert "count: 0\n" in counted, "objects are packed (act copies .git once per job)"


def test_a_mapped_repository_is_read_from_its_folder_and_its_actions_are_scanned(tmp_path: Path) -> None:
    """The pinned step library: `contoso/steps/...@sha` comes from the folder the project maps it to, and the
    third-party actions its composite actions use get their stand-ins too."""
    from amlops.ci.github.workflow import scan

    library = tmp_path / "library"
    action = library / "templates" / "github" / "actions" / "install"
    action.mkdir(parents=True)
    (action / "action.yml").write_text(
        f"name: install\nruns:\n  using: composite\n  steps:\n    - uses: astral-sh/setup-uv@{SHA_A}\n",
        encoding="utf-8",
    )
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@{SHA_B}\n"
        f"      - uses: Contoso/Steps/templates/github/actions/install@{SHA_B}\n",
        encoding="utf-8",
    )
    found = scan(workflow, repo, repositories={"contoso/steps": library})
    assert [use.repository for use in found.remote_uses] == [
        "actions/checkout",
        "Contoso/Steps",
        "astral-sh/setup-uv",
    ]
    args = dict(
        arg.split("=", 1)
        for arg in local_repository_args(found.remote_uses, {"contoso/steps": library})[1::2]
    )
    assert args[f"Contoso/Steps@{SHA_B}"] == str(library)
    assert Path(args[f"astral-sh/setup-uv@{SHA_A}"], "action.yml").is_file()

    with pytest.raises(PipelineError, match="has no local stand-in"):  # not mapped: no stand-in either
        local_repository_args(found.remote_uses)


def test_a_broken_action_of_a_mapped_repository_is_named(tmp_path: Path) -> None:
    from amlops.ci.github.workflow import scan

    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: contoso/steps/templates/github/actions/missing@{SHA_B}\n",
        encoding="utf-8",
    )
    with pytest.raises(PipelineError, match="not found"):
        scan(workflow, repo, repositories={"contoso/steps": tmp_path / "library"})


def test_render_name_substitutes_known_inputs_and_matrix_values_and_keeps_the_rest() -> None:
    text = "Deploy ${{ inputs.environment }} on ${{ matrix.os }} (${{ github.sha }}, ${{ inputs.other }})"
    rendered = render_name(text, {"environment": "dev"}, {"os": "linux"})
    assert rendered == "Deploy dev on linux (${{ github.sha }}, ${{ inputs.other }})"
    assert render_name("X (${{ github.event.inputs.environment }})", {"environment": "prod"}) == "X (prod)"
    assert render_name("flag ${{ matrix.on }}", {}, {"on": True}) == "flag true"


def test_job_display_name_without_a_name_is_the_id_with_the_matrix_values() -> None:
    job = JobInfo("test", (), None, (), False, LOC)
    assert job.display_name() == "test"
    assert job.display_name({"os": "linux", "py": 3.12}) == "test (linux, 3.12)"
    named = JobInfo("d", (), None, (), False, LOC, name="D (${{ inputs.env }})", inputs={"env": "dev"})
    assert named.display_name() == "D (dev)"
