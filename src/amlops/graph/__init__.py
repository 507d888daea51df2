"""Pipelines as pictures: Azure DevOps, GitHub Actions and Azure ML pipeline files drawn as graphs.

`load_graph(path, repo_root=...)` reads a file into a `Graph` (nodes in nested clusters, edges between
them; `model`), which `mermaid.to_mermaid` writes as flowchart text and `svg.to_svg` draws as a
self-contained SVG with its own layered layout (`layout`). `amlops graph FILE` is the command.
"""

from amlops.graph.load import detect, load_graph
from amlops.graph.model import Cluster, Edge, Graph, Node

__all__ = ["Cluster", "Edge", "Graph", "Node", "detect", "load_graph"]
