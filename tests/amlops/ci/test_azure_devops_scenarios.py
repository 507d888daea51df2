"""The Azure DevOps scenario corpus: one folder per case under testdata/azure_devops/.

Each folder holds `pipeline.yml` (and its templates) plus one expected outcome:
- `expected.yml`: the expanded pipeline;
- `expected-error.txt`: every non-empty line must appear in the error message (file:line included);
- `expected-run.yml`: the run's outcome (`amlops.ci.result`): `result` (the run's status), `stages`, `jobs`
  (by job key: `stage/job`, or `job` in the default stage), `steps` (`job key/step`), `outputs`
  (`job key/step.var`), `pending_approvals` (job keys), `records` (kind: count), `printed` /
  `not_printed` lines of the log followed by the summary (in Azure DevOps' words).
An optional `case.yml` sets `params`, `vars`, `repos` (alias: folder in the case), `var_groups`,
`approve`, `approval_environments`, `event`, `limits`, `webhooks` (alias: payload),
`service_connections` (as in pipelines/azure-devops/local/service-connections.yml) and `mode: run`
(for errors that only a run finds).
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from amlops.ci.approvals import PROTECTED
from amlops.ci.azure_devops.expand import Limits, expand_pipeline
from amlops.ci.azure_devops.options import RunOptions
from amlops.ci.azure_devops.parse import DEFAULT_STAGE
from amlops.ci.azure_devops.run import run_file
from amlops.ci.azure_devops.statuses import WORDS
from amlops.ci.errors import PipelineError
from amlops.ci.result import RunResult, summary_lines
from amlops.ci.signin import parse_service_connections
from amlops.yamlsource import load_file, plain

AGENT_ISSUER = ("SYSTEM_OIDCREQUESTURI", "SYSTEM_ACCESSTOKEN")
CASES_DIR = Path(__file__).parent / "testdata" / "azure_devops"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "pipeline.yml").is_file())


def _options(case: Path) -> dict[str, Any]:
    file = case / "case.yml"
    return plain(load_file(file, "case.yml")) or {} if file.is_file() else {}


def _expand(root: Path, opts: dict[str, Any]) -> Any:
    return expand_pipeline(
        root / "pipeline.yml",
        repo_root=root,
        repos={k: root / v for k, v in (opts.get("repos") or {}).items()},
        parameters=opts.get("params") or {},
        variables={k: str(v) for k, v in (opts.get("vars") or {}).items()},
        limits=Limits(**opts["limits"]) if opts.get("limits") else None,
        webhooks=opts.get("webhooks") or {},
    )


def _run(root: Path, opts: dict[str, Any], state: Path) -> tuple[RunResult, str]:
    out = io.StringIO()
    result = run_file(
        root / "pipeline.yml",
        RunOptions(
            repo_root=root,
            state_dir=state,
            parameters=opts.get("params") or {},
            variables={k: str(v) for k, v in (opts.get("vars") or {}).items()},
            repos={k: root / v for k, v in (opts.get("repos") or {}).items()},
            var_groups=opts.get("var_groups") or {},
            approve=bool(opts.get("approve")),
            approval_environments=opts.get("approval_environments", PROTECTED),
            event=opts.get("event", "manual"),
            out=out,
            webhooks=opts.get("webhooks") or {},
            service_connections=parse_service_connections(opts.get("service_connections"), "case.yml"),
            # never an agent's OIDC issuer of the machine running the tests
            env={k: v for k, v in os.environ.items() if k not in AGENT_ISSUER},
        ),
    )
    return result, out.getvalue() + "\n".join(summary_lines(result, WORDS))


@pytest.mark.parametrize("case", CASES)
def test_scenario(case: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(CASES_DIR / case, root)
    opts = _options(root)
    if (root / "expected.yml").is_file():
        expected = plain(load_file(root / "expected.yml", "expected.yml"))
        assert plain(_expand(root, opts)) == expected
    elif (root / "expected-error.txt").is_file():
        wanted = [line for line in (root / "expected-error.txt").read_text().splitlines() if line.strip()]
        action = (lambda: _run(root, opts, tmp_path / "state")) if opts.get("mode") == "run" else None
        with pytest.raises(PipelineError) as info:
            action() if action else _expand(root, opts)
        for line in wanted:
            assert line in str(info.value), f"{line!r} not in {str(info.value)!r}"
    else:
        expected = plain(load_file(root / "expected-run.yml", "expected-run.yml"))
        result, log = _run(root, opts, tmp_path / "state")
        if "result" in expected:
            assert result.status == expected["result"], log
        if "stages" in expected:
            assert {k: v for k, v in result.stages.items() if k != DEFAULT_STAGE} == expected["stages"], log
        for name, outcome in (expected.get("jobs") or {}).items():
            assert name in result.jobs, f"no job {name} in {list(result.jobs)}\n{log}"
            assert result.jobs[name].status == outcome, f"job {name}\n{log}"
        steps = {f"{key}/{s.id}": s.status for key, j in result.jobs.items() for s in j.steps}
        for name, outcome in (expected.get("steps") or {}).items():
            assert steps.get(name) == outcome, f"step {name}: {steps}\n{log}"
        outputs = {f"{key}/{k}": v for key, j in result.jobs.items() for k, v in j.outputs.items()}
        for name, value in (expected.get("outputs") or {}).items():
            assert outputs.get(name) == str(value), f"output {name}: {outputs}\n{log}"
        if "pending_approvals" in expected:
            assert [a.job for a in result.pending_approvals] == expected["pending_approvals"], log
        for kind, count in (expected.get("records") or {}).items():
            assert len([r for r in result.records if r.kind == kind]) == count, f"{result.records}\n{log}"
        for record in result.records:
            assert all(Path(f).exists() for f in record.files), record
        lines = log.splitlines()
        for text in expected.get("printed") or []:
            assert any(text in line for line in lines), f"{text!r} not printed\n{log}"
        for text in expected.get("not_printed") or []:
            assert not any(text in line for line in lines), f"{text!r} printed\n{log}"
