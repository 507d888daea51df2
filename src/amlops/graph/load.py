"""Read a pipeline file of any of the three dialects into a `Graph`.

The dialect comes from the file, as `amlops run` decides it (`amlops.ci.dialects.detect`), with one more: a
mapping with `type: pipeline` and `jobs:` is an Azure ML pipeline job. Errors are the readers' own
(`PipelineError`, `PipelineSpecError`, ...): usage errors naming the file and line, exit code 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from amlops.ci import dialects
from amlops.graph.model import Graph
from amlops.yamlsource import safe_load

DIALECTS = (*dialects.DIALECTS, "azureml")
"""What `amlops graph` draws: the local runner's dialects and Azure ML pipeline jobs."""


def detect(path: Path) -> str:
    """'azureml', 'github' or 'azure-devops'."""
    try:
        document = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return "azure-devops"  # its loader reports the syntax error with file and line, as `amlops run` does
    if (
        isinstance(document, Mapping)
        and document.get("type") == "pipeline"
        and isinstance(document.get("jobs"), Mapping)
    ):
        return "azureml"
    return dialects.detect(path, document)


def load_graph(
    path: Path,
    *,
    repo_root: Path,
    repos: Mapping[str, Path] | None = None,
    parameters: Mapping[str, Any] | None = None,
    inputs: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> Graph:
    """The graph of the pipeline at `path`. `repos` maps Azure DevOps repository aliases to folders,
    `parameters` are Azure DevOps pipeline parameters, `inputs` GitHub `workflow_dispatch` inputs; `kind`
    overrides the detected dialect."""
    kind = kind or detect(path)
    if kind == "azureml":
        from amlops.graph import azureml

        return azureml.load(path, repo_root=repo_root)
    if kind == "github":
        from amlops.graph import github

        return github.load(path, repo_root=repo_root, inputs=inputs)
    from amlops.graph import azure_devops

    return azure_devops.load(path, repo_root=repo_root, repos=repos, parameters=parameters)
