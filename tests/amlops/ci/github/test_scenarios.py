"""Scenario corpus for the GitHub Actions runner: one folder per case under testdata/.

Each case holds `.github/workflows/main.yml` (plus local actions and reusable workflows) and
`expected.yml`: how to run it (event, inputs, payload, dispatch_type, secrets, env, approve,
approval_environments, git) and what must come out (`expect`, in the terms of `amlops.ci.result`: the
run's status, job statuses, run counts, step outputs, printed lines, lines that must not appear, pending
approvals, records (kind: count), artifact contents, lines of the `amlops run` summary (`summary`, in
GitHub's words, and `not_in_summary` texts), or the error message expected before anything runs).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from git_repository import commit_repository

from amlops.ci.errors import PipelineError
from amlops.ci.github import run_workflow
from amlops.ci.github.actlog import WORDS
from amlops.ci.result import RunResult, summary_lines

TESTDATA = Path(__file__).parent / "testdata"
CASES = sorted(p.name for p in TESTDATA.iterdir() if (p / "expected.yml").is_file())

pytestmark = pytest.mark.timeout(120)


def make_repo(case: Path, target: Path, *, git: bool) -> Path:
    shutil.copytree(case, target, ignore=shutil.ignore_patterns("expected.yml"))
    if git:
        commit_repository(target, origin="https://github.com/example/project.git", message="case")
    return target


def check(result: RunResult, expect: dict[str, Any], run_dir: Path) -> None:
    where = f"\n--- log ---\n{result.log}"
    if "status" in expect:
        assert result.status == expect["status"], where
    if "jobs" in expect:
        assert {k: v.status for k, v in result.jobs.items()} == expect["jobs"], where
    for job, count in (expect.get("runs") or {}).items():
        assert len(result.jobs[job].runs) == count, where
    for key, value in (expect.get("outputs") or {}).items():
        job, step, name = key.split(".", 2)
        assert result.jobs[job].step(step).outputs[name] == str(value), where
    for job, lines in (expect.get("lines") or {}).items():
        printed = list(result.jobs[job].lines)
        for line in lines:
            assert str(line) in printed, f"{line!r} not printed by {job}: {printed}{where}"
    if "order" in expect:
        firsts = [
            next(i for i, line in enumerate(result.log.splitlines()) if line.startswith(f"[{job}] "))
            for job in expect["order"]
        ]
        assert firsts == sorted(firsts), where
    for text in expect.get("absent") or []:
        assert all(text not in line for line in result.lines), f"{text!r} was printed{where}"
        assert text not in result.log, where
    for text in expect.get("log") or []:
        assert text in result.log, where
    if "pending_approvals" in expect:
        assert [a.job for a in result.pending_approvals] == expect["pending_approvals"], where
    for kind, count in (expect.get("records") or {}).items():
        assert len([r for r in result.records if r.kind == kind]) == count, f"{result.records}{where}"
    for rel, content in (expect.get("artifacts") or {}).items():
        assert (run_dir / "artifacts" / rel).read_text(encoding="utf-8") == content
        [record] = [r for r in result.records if r.kind == "artifact" and r.name == rel.split("/")[0]]
        assert Path(record.files[0], *rel.split("/")[1:]).is_file()
    if "summary" in expect or "not_in_summary" in expect:
        summary = "\n".join(summary_lines(result, WORDS))
        for line in expect.get("summary") or []:
            assert line in summary.splitlines(), f"{line!r} not in the summary:\n{summary}{where}"
        for text in expect.get("not_in_summary") or []:
            assert text not in summary, f"{text!r} in the summary:\n{summary}{where}"


@pytest.mark.parametrize("name", CASES)
def test_scenario(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = TESTDATA / name
    spec = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    repo = make_repo(case, tmp_path / "repo", git=spec.get("git", True))
    run_dir = tmp_path / "run"
    expect = spec["expect"]
    kwargs: dict[str, Any] = {
        "event": spec["event"],
        "repo_root": repo,
        "inputs": spec.get("inputs"),
        "payload": spec.get("payload"),
        "dispatch_type": spec.get("dispatch_type"),
        "secrets": spec.get("secrets"),
        "env": spec.get("env"),
        "approve": spec.get("approve", False),
        "run_dir": run_dir,
        "timeout": 90,
    }
    if "approval_environments" in spec:
        kwargs["approval_environments"] = spec["approval_environments"]
    workflow = repo / ".github" / "workflows" / spec.get("workflow", "main.yml")
    if "error" in expect:
        with pytest.raises(PipelineError) as raised:
            run_workflow(workflow, **kwargs)
        assert expect["error"] in str(raised.value)
        assert not (run_dir / "event.json").exists(), "act must not have been prepared"
        return
    check(run_workflow(workflow, **kwargs), expect, run_dir)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60


def test_act_workspaces_go_to_the_scratch_folder_and_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """act's per-job copies of the working tree (and a prepared copy of a plain folder) live in a scratch
    folder (`AMLOPS_ACT_SCRATCH`, by default a memory-backed one) that is empty again after the run."""
    scratch = tmp_path / "scratch"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AMLOPS_ACT_SCRATCH", str(scratch))
    for name, git in (("standin-checkout-setup-python-uv", True), ("not-a-git-repo", False)):
        case = TESTDATA / name
        spec = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))
        repo = make_repo(case, tmp_path / name / "repo", git=git)
        run_dir = tmp_path / f"run-{name}"
        workflow = repo / ".github" / "workflows" / spec.get("workflow", "main.yml")
        result = run_workflow(workflow, event=spec["event"], repo_root=repo, run_dir=run_dir, timeout=90)
        check(result, spec["expect"], run_dir)
        assert list(scratch.iterdir()) == []
        assert not (run_dir / "repo").exists()
