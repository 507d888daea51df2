"""Compile-time expansion of Azure Pipelines YAML: templates, parameters, `${{ }}` insertion, extends."""

from amlops.ci.azure_devops.expand.engine import Expander, Limits, expand_pipeline

__all__ = ["Expander", "Limits", "expand_pipeline"]
