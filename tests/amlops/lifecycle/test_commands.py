"""`amlops expand` and `amlops run` through their configure/execute functions, and the file-count limit."""

from __future__ import annotations

import argparse
import types
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from amlops.ci.azure_devops.expand import expand_pipeline
from amlops.ci.errors import PipelineError
from amlops.ci.github import dialect as github_dialect
from amlops.ci.result import Approval, RunResult, Status
from amlops.errors import UsageError
from amlops.lifecycle import commands_expand, commands_run


def _args(module: types.ModuleType, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.configure(parser)
    return parser.parse_args(argv)


def test_help_lines() -> None:
    for module in (commands_expand, commands_run):
        assert module.__doc__
        assert module.__doc__.strip().splitlines()[0]


def test_expand_prints_the_expanded_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pipeline.yml").write_text(
        "parameters:\n- name: who\n  default: world\nsteps:\n- template: t.yml@lib\n  parameters:\n"
        "    who: ${{ parameters.who }}\n"
        "resources:\n  repositories:\n  - repository: lib\n    type: git\n    name: x/lib\n"
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "t.yml").write_text(
        "parameters:\n- name: who\nsteps:\n- script: echo ${{ parameters.who }}\n"
    )
    args = _args(
        commands_expand,
        [str(tmp_path / "pipeline.yml"), "--param", "who=you", "--repo", f"lib={tmp_path / 'lib'}"],
    )
    assert commands_expand.execute(args) == 0
    out = yaml.safe_load(capsys.readouterr().out)
    assert out["steps"] == [{"script": "echo you"}]


def test_expand_rejects_malformed_pairs(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yml").write_text("steps:\n- script: echo\n")
    with pytest.raises(UsageError, match="--param expects NAME=VALUE"):
        commands_expand.execute(_args(commands_expand, [str(tmp_path / "pipeline.yml"), "--param", "oops"]))


def _run_args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    args = _args(commands_run, [str(tmp_path / "pipeline.yml"), *extra])
    args.settings = types.SimpleNamespace(
        project=types.SimpleNamespace(root=tmp_path), state_dir=tmp_path / ".st"
    )
    return args


def test_run_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pipeline.yml").write_text("steps:\n- script: echo fine\n")
    assert commands_run.execute(_run_args(tmp_path)) == 0
    (tmp_path / "pipeline.yml").write_text("steps:\n- script: exit 4\n")
    assert commands_run.execute(_run_args(tmp_path)) == 1
    deploy = (
        "jobs:\n- deployment: d\n  environment: prod\n  strategy:\n    runOnce:\n      deploy:\n"
        "        steps:\n        - script: echo shipped\n"
    )
    (tmp_path / "pipeline.yml").write_text(deploy)
    assert commands_run.execute(_run_args(tmp_path)) == 3
    assert commands_run.execute(_run_args(tmp_path, "--approve")) == 0
    out = capsys.readouterr().out
    assert "shipped" in out
    assert "Result: WaitingForApproval (d)" in out  # the summaries, in Azure DevOps' words
    assert out.rstrip().endswith("Result: Succeeded")


def test_run_reads_variable_groups_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pipeline.yml").write_text("variables:\n- group: g\nsteps:\n- script: echo value=$(x)\n")
    (tmp_path / "groups.yml").write_text("g:\n  x: 42\n")
    assert commands_run.execute(_run_args(tmp_path, "--var-groups", str(tmp_path / "groups.yml"))) == 0
    assert "value=42" in capsys.readouterr().out


def _fake_github(
    monkeypatch: pytest.MonkeyPatch, calls: list, *, status: Status, pending: tuple[str, ...] = ()
) -> None:
    """act replaced by a stand-in that records the call and returns `status` (the real GitHub dialect
    around it: run folder, header, log)."""

    def run_workflow(
        path,
        *,
        event,
        inputs,
        repo_root,
        env,
        payload,
        dispatch_type,
        approve,
        approval_environments,
        ref,
        run_dir,
        repositories,
    ):
        calls.append(
            {
                "path": path,
                "event": event,
                "dispatch_type": dispatch_type,
                "inputs": dict(inputs),
                "root": repo_root,
                "env": env,
                "payload": payload,
                "approve": approve,
                "approval_environments": approval_environments,
                "ref": ref,
                "run_dir": run_dir,
            }
        )
        approvals = tuple(Approval(job, ("prod",)) for job in pending)
        return RunResult(status, {}, pending_approvals=approvals, log="act log line", run_dir=run_dir)

    monkeypatch.setattr(github_dialect, "run_workflow", run_workflow)


def test_github_files_go_to_the_github_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pipeline.yml").write_text(
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: []\n"
    )
    calls: list = []
    _fake_github(monkeypatch, calls, status=Status.FAILED)
    args = _run_args(tmp_path, "--event", "push", "--input", "a=1", "--approve", "--ref", "refs/heads/dev")
    assert commands_run.execute(args) == 1
    [call] = calls
    assert (call["path"], call["event"], call["inputs"], call["root"]) == (
        tmp_path / "pipeline.yml",
        "push",
        {"a": "1"},
        tmp_path.resolve(),
    )
    assert call["approve"] is True
    assert call["ref"] == "refs/heads/dev"
    assert call["run_dir"].is_dir()
    assert call["run_dir"].is_relative_to((tmp_path / ".st").resolve())
    # only the runner's additions, never the whole host environment
    assert call["env"]["AMLOPS_STATE_DIR"] == str((tmp_path / ".st").resolve())
    assert "PATH" not in call["env"]
    out = capsys.readouterr().out
    assert "act log line" in out
    assert out.rstrip().endswith("Result: failure")  # the summary, in GitHub's words


def test_github_pending_approvals_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pipeline.yml").write_text(
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: []\n"
    )
    calls: list = []
    _fake_github(monkeypatch, calls, status=Status.WAITING_FOR_APPROVAL, pending=("deploy",))
    assert commands_run.execute(_run_args(tmp_path, "--event", "push")) == 3


def test_model_registered_passes_the_newest_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pipeline.yml").write_text(
        "on:\n  repository_dispatch:\n    types: [model-registered]\n"
        "jobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: []\n"
    )
    (tmp_path / ".st").mkdir()
    (tmp_path / ".st" / "events.jsonl").write_text(
        '{"type": "model-registered", "model": "m", "version": 1}\n'
        '{"type": "data-drift-detected"}\n'
        '{"type": "model-registered", "model": "m", "version": 2}\n'
        "{torn\n"
    )
    calls: list = []
    _fake_github(monkeypatch, calls, status=Status.SUCCEEDED)
    assert commands_run.execute(_run_args(tmp_path, "--event", "model-registered")) == 0
    # The lifecycle's event reaches the runner as what GitHub delivers: a dispatch of that type.
    assert (calls[0]["event"], calls[0]["dispatch_type"]) == ("repository_dispatch", "model-registered")
    assert calls[0]["payload"] == {"type": "model-registered", "model": "m", "version": 2}


class _RecordingBackend:
    """A backend whose registry holds its own events (as an Azure event source would), not the state file."""

    events: ClassVar[list[dict]] = [
        {"type": "model-registered", "model": "m", "version": 9},
        {"type": "data-drift-detected"},
    ]
    closed = False

    def __init__(self, settings: object) -> None:
        self.settings = settings

    def read_events(self) -> list:
        return [*self.events, "not a record"]

    def close(self) -> None:
        type(self).closed = True


def test_the_event_is_read_through_the_backend_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`amlops --backend B run --event model-registered` asks backend B's registry for the newest event;
    the state folder's log (the local backend's) is not consulted."""
    from amlops import backends

    monkeypatch.setitem(backends.BACKENDS, "recording", f"{__name__}:_RecordingBackend")
    (tmp_path / "pipeline.yml").write_text(
        "on:\n  repository_dispatch:\n    types: [model-registered]\n"
        "jobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: []\n"
    )
    (tmp_path / ".st").mkdir()
    local_event = '{"type": "model-registered", "model": "m", "version": 1}\n'
    (tmp_path / ".st" / "events.jsonl").write_text(local_event)
    calls: list = []
    _fake_github(monkeypatch, calls, status=Status.SUCCEEDED)
    args = _run_args(tmp_path, "--event", "model-registered")
    args.settings.backend = "recording"
    assert commands_run.execute(args) == 0
    assert calls[0]["payload"] == {"type": "model-registered", "model": "m", "version": 9}
    assert _RecordingBackend.closed
    assert commands_run.registry_events(tmp_path / ".st", backend="recording") == _RecordingBackend.events
    # the local backend reads the state folder's log
    assert commands_run.newest_event(tmp_path / ".st")["version"] == 1


def test_model_registered_without_an_event_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yml").write_text("steps:\n- script: echo\n")
    with pytest.raises(UsageError, match="no model-registered event"):
        commands_run.execute(_run_args(tmp_path, "--event", "model-registered"))


def test_webhook_payload_reaches_azure_devops_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pipeline.yml").write_text(
        "resources:\n  webhooks:\n  - webhook: modelRegistered\n    connection: c\n"
        "steps:\n- script: echo \"version=${{ coalesce(parameters.modelRegistered.version, 'none') }}\"\n"
    )
    args = _run_args(tmp_path, "--event", "model-registered", "--payload", '{"model": "m", "version": 7}')
    assert commands_run.execute(args) == 0
    assert "version=7" in capsys.readouterr().out
    assert commands_run.execute(_run_args(tmp_path)) == 0  # a manual run: the webhook parameter is {}
    assert "version=none" in capsys.readouterr().out


def test_repository_aliases_default_from_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.amlops.repositories]\nlib = "library"\n')
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "t.yml").write_text("steps:\n- script: echo from-the-library\n")
    (tmp_path / "pipeline.yml").write_text(
        "resources:\n  repositories:\n  - repository: lib\n    type: git\n    name: x/lib\n"
        "steps:\n- template: t.yml@lib\n"
    )
    assert commands_run.execute(_run_args(tmp_path)) == 0
    assert "from-the-library" in capsys.readouterr().out
    args = _args(commands_expand, [str(tmp_path / "pipeline.yml")])
    args.settings = types.SimpleNamespace(project=types.SimpleNamespace(root=tmp_path))
    assert commands_expand.execute(args) == 0
    assert "echo from-the-library" in capsys.readouterr().out


def test_more_than_100_template_files_is_an_error(tmp_path: Path) -> None:
    lines = ["steps:"]
    for i in range(101):
        (tmp_path / f"t{i}.yml").write_text(f"steps:\n- script: echo {i}\n")
        lines.append(f"- template: t{i}.yml")
    (tmp_path / "pipeline.yml").write_text("\n".join(lines) + "\n")
    with pytest.raises(PipelineError, match=r"pipeline.yml:102: more than 100 separate template files"):
        expand_pipeline(tmp_path / "pipeline.yml")


def test_exactly_100_template_files_is_fine(tmp_path: Path) -> None:
    lines = ["steps:"]
    for i in range(100):
        (tmp_path / f"t{i}.yml").write_text(f"steps:\n- script: echo {i}\n")
        lines.append(f"- template: t{i}.yml")
    (tmp_path / "pipeline.yml").write_text("\n".join(lines) + "\n")
    assert len(expand_pipeline(tmp_path / "pipeline.yml")["steps"]) == 100
