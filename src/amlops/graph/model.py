"""The picture of a pipeline as data: nodes inside nested clusters, and edges between them.

Pure and renderer-neutral: `amlops.graph.mermaid` and `amlops.graph.svg` draw the same `Graph`, and the
readers (`azure_devops`, `github`, `azureml`) build it from their dialect's parsed files. Ids are the
structural path of an item (`train/run_training/3`: stage, job, step index); renderers make their own
identifiers from them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from amlops.errors import FailedError

Direction = Literal["TB", "LR"]
NodeKind = Literal["step", "input", "output", "call", "empty"]
ClusterKind = Literal["stage", "job", "workflow", "hook"]
EdgeKind = Literal["sequence", "depends", "data"]


@dataclass(frozen=True)
class Node:
    """A box: a step, an Azure ML job, a pipeline input or output, a call that is not expanded."""

    id: str
    label: str
    parent: str | None = None
    kind: NodeKind = "step"
    condition: str | None = None
    """The condition as written (`succeededOrFailed()`, `inputs.deploy-online`), None when there is none."""
    details: tuple[str, ...] = ()
    """Further lines under the label (a task name, the component, the environment)."""


@dataclass(frozen=True)
class Cluster:
    """A box holding nodes and other clusters: a stage, a job, a called workflow, a deployment hook."""

    id: str
    label: str
    parent: str | None = None
    kind: ClusterKind = "job"
    condition: str | None = None
    details: tuple[str, ...] = ()
    direction: Direction = "TB"
    """How the cluster's own children flow (steps top to bottom, stages and jobs left to right)."""


@dataclass(frozen=True)
class Edge:
    """`source` before `target`: step order, a dependency (`dependsOn`, `needs`) or data flowing."""

    source: str
    target: str
    kind: EdgeKind = "sequence"
    label: str = ""


class GraphError(FailedError):
    """A graph that cannot be drawn: duplicate ids, an edge or parent naming nothing (a reader's bug)."""


@dataclass(frozen=True)
class Graph:
    """A pipeline's picture. `source` is the file as shown to people, `dialect` the reader that built it."""

    title: str
    source: str
    dialect: str
    nodes: tuple[Node, ...]
    clusters: tuple[Cluster, ...] = ()
    edges: tuple[Edge, ...] = ()
    direction: Direction = "LR"
    order: tuple[str, ...] = ()
    """Every id in the order the reader added it (default: the clusters, then the nodes)."""
    _parents: dict[str, str | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _items: dict[str, Node | Cluster] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parents: dict[str, str | None] = {}
        for item in (*self.clusters, *self.nodes):
            if item.id in parents:
                raise GraphError(f"two items have the id '{item.id}'")
            parents[item.id] = item.parent
        clusters = {c.id for c in self.clusters}
        for item_id, parent in parents.items():
            if parent is not None and parent not in clusters:
                raise GraphError(f"'{item_id}' is inside '{parent}', which is not a cluster")
        for item_id, first in parents.items():
            seen = {item_id}
            parent = first
            while parent is not None:
                if parent in seen:
                    raise GraphError(f"clusters contain each other: '{item_id}'")
                seen.add(parent)
                parent = parents[parent]
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in parents:
                    raise GraphError(f"an edge names '{end}', which is neither a node nor a cluster")
        if not self.order:
            object.__setattr__(self, "order", tuple(parents))
        elif sorted(self.order) != sorted(parents):
            raise GraphError("'order' must list every node and cluster once")
        self._parents.update(parents)
        self._items.update({item.id: item for item in (*self.clusters, *self.nodes)})

    def node(self, item_id: str) -> Node:
        item = self._items[item_id]
        if not isinstance(item, Node):
            raise KeyError(f"'{item_id}' is a cluster, not a node")
        return item

    def cluster(self, item_id: str) -> Cluster:
        item = self._items[item_id]
        if not isinstance(item, Cluster):
            raise KeyError(f"'{item_id}' is a node, not a cluster")
        return item

    def is_cluster(self, item_id: str) -> bool:
        return isinstance(self._items.get(item_id), Cluster)

    def children(self, parent: str | None) -> list[str]:
        """The ids directly inside `parent` (None: the top level), in the order the reader added them."""
        return [item_id for item_id in self.order if self._parents[item_id] == parent]

    def items(self) -> Iterator[Node | Cluster]:
        """Clusters and nodes in the order the reader added them."""
        for item_id in self.order:
            yield self._items[item_id]

    def parent_of(self, item_id: str) -> str | None:
        return self._parents[item_id]

    def ancestors(self, item_id: str) -> list[str]:
        """The clusters around `item_id`, innermost first."""
        found = []
        parent = self._parents[item_id]
        while parent is not None:
            found.append(parent)
            parent = self._parents[parent]
        return found

    def edges_between(self, source: str, target: str) -> list[Edge]:
        return [e for e in self.edges if e.source == source and e.target == target]


class GraphBuilder:
    """Collects items in order; `build()` checks them (see `Graph`)."""

    def __init__(self, title: str, source: str, dialect: str, direction: Direction = "LR") -> None:
        self.title = title
        self.source = source
        self.dialect = dialect
        self.direction: Direction = direction
        self.nodes: list[Node] = []
        self.clusters: list[Cluster] = []
        self.edges: list[Edge] = []
        self.order: list[str] = []

    def add_node(self, node: Node) -> str:
        self.nodes.append(node)
        self.order.append(node.id)
        return node.id

    def add_cluster(self, cluster: Cluster) -> str:
        self.clusters.append(cluster)
        self.order.append(cluster.id)
        return cluster.id

    def add_edge(self, edge: Edge) -> None:
        if edge not in self.edges:
            self.edges.append(edge)

    def chain(self, ids: list[str]) -> None:
        """Sequence edges between consecutive ids."""
        for before, after in itertools.pairwise(ids):
            self.add_edge(Edge(before, after, "sequence"))

    def build(self) -> Graph:
        return Graph(
            title=self.title,
            source=self.source,
            dialect=self.dialect,
            nodes=tuple(self.nodes),
            clusters=tuple(self.clusters),
            edges=tuple(self.edges),
            direction=self.direction,
            order=tuple(self.order),
        )
