"""Run planned Azure Pipelines jobs on this machine."""

from amlops.ci.execute.azure_devops import RunOptions, run_file

__all__ = ["RunOptions", "run_file"]
