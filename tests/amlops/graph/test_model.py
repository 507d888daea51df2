"""The graph model checks what readers build: unique ids, parents that are clusters, edges that name items."""

from __future__ import annotations

import pytest

from amlops.graph.model import Cluster, Edge, Graph, GraphBuilder, GraphError, Node


def _graph(**parts: object) -> Graph:
    return Graph(title="t", source="t.yml", dialect="test", **parts)  # type: ignore[arg-type]


def test_children_keep_the_order_they_were_added_in_mixing_clusters_and_nodes() -> None:
    builder = GraphBuilder("t", "t.yml", "test")
    builder.add_node(Node("first", "first"))
    builder.add_cluster(Cluster("job", "job"))
    builder.add_node(Node("job/0", "step", parent="job"))
    builder.add_node(Node("last", "last"))
    graph = builder.build()
    assert graph.children(None) == ["first", "job", "last"]
    assert graph.children("job") == ["job/0"]
    assert graph.ancestors("job/0") == ["job"]
    assert [item.id for item in graph.items()] == ["first", "job", "job/0", "last"]


def test_chain_links_consecutive_items_once() -> None:
    builder = GraphBuilder("t", "t.yml", "test")
    ids = [builder.add_node(Node(name, name)) for name in ("a", "b", "c")]
    builder.chain(ids)
    builder.chain(ids)
    assert builder.build().edges == (Edge("a", "b"), Edge("b", "c"))


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"nodes": (Node("a", "a"), Node("a", "again"))}, "two items have the id 'a'"),
        (
            {"nodes": (Node("a", "a", parent="b"), Node("b", "b"))},
            "'a' is inside 'b', which is not a cluster",
        ),
        ({"nodes": (Node("a", "a"),), "edges": (Edge("a", "z"),)}, "an edge names 'z'"),
        (
            {"nodes": (), "clusters": (Cluster("x", "x", parent="y"), Cluster("y", "y", parent="x"))},
            "clusters contain each other",
        ),
        ({"nodes": (Node("a", "a"),), "order": ("a", "a")}, "'order' must list every node and cluster once"),
    ],
)
def test_malformed_graphs_are_refused(parts: dict[str, object], message: str) -> None:
    with pytest.raises(GraphError, match=message):
        _graph(**parts)
