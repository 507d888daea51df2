"""Run GitHub Actions workflows locally, offline, with act in host mode.

`run_workflow(path, event=..., repo_root=...)` reads the workflow and everything local it uses, refuses
what cannot run here (unpinned or unknown remote actions, remote reusable workflows, containers) with the
file and line, maps SHA-pinned third-party actions to the stand-ins in `standins/<owner>/<repo>/`, runs act
and returns an `amlops.ci.result.RunResult` read from act's JSON log (`actlog`). See `run.py` for where act
is guarded.
"""

from amlops.ci.github.run import run_workflow

__all__ = ["run_workflow"]
