"""Run planned Azure Pipelines jobs on this machine."""

from amlops.ci.execute.azure_devops import RunOptions, RunResult, run_file

__all__ = ["RunOptions", "RunResult", "run_file"]
