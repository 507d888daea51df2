"""`amlops expand` and `amlops run` through their configure/execute functions, and the file-count limit."""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import pytest
import yaml

from amlops.ci import commands_expand, commands_run
from amlops.ci.errors import PipelineError
from amlops.ci.expand import expand_pipeline
from amlops.errors import UsageError


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
    assert "shipped" in capsys.readouterr().out


def test_run_reads_variable_groups_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pipeline.yml").write_text("variables:\n- group: g\nsteps:\n- script: echo value=$(x)\n")
    (tmp_path / "groups.yml").write_text("g:\n  x: 42\n")
    assert commands_run.execute(_run_args(tmp_path, "--var-groups", str(tmp_path / "groups.yml"))) == 0
    assert "value=42" in capsys.readouterr().out


def test_dialect_detection(tmp_path: Path) -> None:
    gh = tmp_path / "gh.yml"
    gh.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n    - run: echo\n")
    ado = tmp_path / "ado.yml"
    ado.write_text("trigger: none\njobs:\n- job: a\n  steps:\n  - script: echo\n")
    assert commands_run.dialect(gh) == "github"
    assert commands_run.dialect(ado) == "azure-devops"


def test_github_files_go_to_the_github_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pipeline.yml").write_text(
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: []\n"
    )
    calls = []
    fake = types.ModuleType("amlops.ci.github")

    def run_workflow(path, *, event, inputs, repo_root, env):
        calls.append((path, event, dict(inputs), repo_root))
        return types.SimpleNamespace(ok=False)

    fake.run_workflow = run_workflow
    monkeypatch.setitem(sys.modules, "amlops.ci.github", fake)
    args = _run_args(tmp_path, "--event", "push", "--input", "a=1")
    assert commands_run.execute(args) == 1
    assert calls == [(tmp_path / "pipeline.yml", "push", {"a": "1"}, tmp_path.resolve())]


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
