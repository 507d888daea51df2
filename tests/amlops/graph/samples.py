"""Graphs made for the tests rather than read from a pipeline."""

from __future__ import annotations

from amlops.graph.model import Cluster, Edge, Graph, GraphBuilder, Node

HOSTILE_TEXT = (
    'say "hi" #1 & <b>bold</b> | pipe; 100% %% not a comment `tick` end --> [x] (y) {z} \\ é → ${{ x }}'
)


def hostile_graph() -> Graph:
    """Names and labels with every character that means something to Mermaid, HTML or markdown."""
    builder = GraphBuilder('title "quoted" %% and more', "weird/file.yml", "test")
    builder.add_cluster(Cluster("end", "end", kind="stage", condition="eq(a, 'b') | c", direction="LR"))
    builder.add_cluster(Cluster("end/subgraph x", "subgraph", parent="end", details=("`md`", "a\tb")))
    builder.add_node(Node("end/subgraph x/-->", HOSTILE_TEXT, parent="end/subgraph x", condition='x == "y"'))
    builder.add_node(Node("end/subgraph x/a_b", "second\nline", parent="end/subgraph x"))
    builder.add_node(Node("end/subgraph x/a/b", "x" * 80, parent="end/subgraph x", kind="empty"))
    builder.add_node(Node("input", "graph", kind="input", details=("uri_file",)))
    builder.add_node(Node("call", "classDef", kind="call"))
    builder.add_node(Node("tick", "`starts` with a tick"))
    builder.add_cluster(Cluster("after", "after", condition='needs.x == "y" | z'))
    builder.add_node(Node("after/0", "last", parent="after"))
    builder.chain(["end/subgraph x/-->", "end/subgraph x/a_b", "end/subgraph x/a/b"])
    builder.add_edge(Edge("input", "end", "data", label='a|b "c" #d'))
    builder.add_edge(Edge("end", "call", "depends"))
    builder.add_edge(Edge("end", "after", "depends", label="a label | too"))
    return builder.build()
