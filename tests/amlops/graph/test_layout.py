"""The layered layout: boxes never overlap unless one holds the other, every box holds its text and its
children, and edges run from border to border without crossing other boxes."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from amlops.graph.labels import text_width
from amlops.graph.layout import Box, Layout, Metrics, layout
from amlops.graph.model import Cluster, Edge, Graph, GraphBuilder, Node


def _nested(graph: Graph, a: str, b: str) -> bool:
    return a in graph.ancestors(b) or b in graph.ancestors(a)


def _inside(box: Box, point: tuple[float, float], margin: float = 0.5) -> bool:
    x, y = point
    return box.x + margin < x < box.right - margin and box.y + margin < y < box.bottom - margin


def _on_border(box: Box, point: tuple[float, float]) -> bool:
    x, y = point
    within_x = box.x - 0.01 <= x <= box.right + 0.01
    within_y = box.y - 0.01 <= y <= box.bottom + 0.01
    on_side = (
        min(abs(x - box.x), abs(x - box.right)) < 0.01 or min(abs(y - box.y), abs(y - box.bottom)) < 0.01
    )
    return within_x and within_y and on_side


def _samples(points: tuple[tuple[float, float], ...], per_segment: int = 24) -> list[tuple[float, float]]:
    found = []
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        found += [
            (xa + (xb - xa) * k / per_segment, ya + (yb - ya) * k / per_segment) for k in range(per_segment)
        ]
    return found


def _drawn_ends(graph: Graph, edge: Edge) -> tuple[str, str]:
    """The boxes an edge is drawn between: its ends, or for an end inside a cluster that the other end is
    not in, the outermost cluster around it below the level where both ends meet."""
    sources = [edge.source, *graph.ancestors(edge.source)]
    targets = [edge.target, *graph.ancestors(edge.target)]
    common = next((c for c in sources[1:] if c in targets[1:]), None)
    source = next(i for i in sources if graph.parent_of(i) == common)
    target = next(i for i in targets if graph.parent_of(i) == common)
    return source, target


def check(graph: Graph, placed: Layout) -> None:
    """Everything the module docstring promises, for one graph."""
    m = placed.metrics
    ids = [item.id for item in graph.items()]
    assert set(placed.boxes) == set(ids)
    for item_id in ids:
        box = placed.boxes[item_id]
        assert box.width > 0, item_id
        assert box.height > 0, item_id
        assert Box(0, 0, placed.width + 0.01, placed.height + 0.01).contains(box), item_id
        parent = graph.parent_of(item_id)
        if parent is not None:
            assert placed.boxes[parent].contains(box), (item_id, parent)
        lines = placed.lines[item_id]
        widest = max(text_width(text, m.font_size) for _, text in lines)
        assert box.width >= widest, item_id
        assert box.height >= len(lines) * m.line_height, item_id
    for a, b in itertools.combinations(ids, 2):
        if not _nested(graph, a, b):
            assert not placed.boxes[a].overlaps(placed.boxes[b]), (a, b)
    assert len(placed.routes) == len(graph.edges)
    for route in placed.routes:
        edge = route.edge
        source, target = _drawn_ends(graph, edge)
        assert _on_border(placed.boxes[source], route.points[0]), edge
        assert _on_border(placed.boxes[target], route.points[-1]), edge
        ends = {source, target}
        allowed = ends | {a for end in ends for a in graph.ancestors(end)}
        allowed |= {i for i in ids if any(end in graph.ancestors(i) for end in ends)}
        for item_id in ids:
            if item_id in allowed:
                continue
            box = placed.boxes[item_id]
            crossing = [p for p in _samples(route.points) if _inside(box, p)]
            assert not crossing, f"{edge.source} -> {edge.target} crosses {item_id}"


def test_the_repository_pipelines_lay_out_cleanly(real_graphs: dict[str, Graph]) -> None:
    for name, graph in real_graphs.items():
        try:
            check(graph, layout(graph))
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error


def _builder(direction: str = "LR") -> GraphBuilder:
    return GraphBuilder("t", "t.yml", "test", direction=direction)  # type: ignore[arg-type]


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_a_long_edge_goes_around_the_boxes_between(direction: str) -> None:
    builder = _builder(direction)
    for name in ("a", "b", "c", "d"):
        builder.add_node(Node(name, f"a wide box named {name} " * 2))
    builder.chain(["a", "b", "c", "d"])
    builder.add_edge(Edge("a", "d", "depends", label="skips two"))
    graph = builder.build()
    placed = layout(graph)
    check(graph, placed)
    route = next(r for r in placed.routes if (r.edge.source, r.edge.target) == ("a", "d"))
    assert route.label is not None
    assert len(route.points) > 4  # it bends through the layers between


def test_fan_out_and_fan_in_inside_nested_clusters() -> None:
    builder = _builder()
    builder.add_cluster(Cluster("stage", "A stage with a title much longer than its content", kind="stage"))
    builder.add_cluster(Cluster("stage/x", "x", parent="stage"))
    builder.add_cluster(Cluster("stage/y", "y", parent="stage"))
    builder.add_cluster(Cluster("stage/z", "z", parent="stage"))
    for job in ("x", "y", "z"):
        ids = [
            builder.add_node(Node(f"stage/{job}/{i}", f"step {i}", parent=f"stage/{job}")) for i in range(3)
        ]
        builder.chain(ids)
    builder.add_edge(Edge("stage/x", "stage/y", "depends"))
    builder.add_edge(Edge("stage/x", "stage/z", "depends"))
    builder.add_node(Node("after", "after"))
    builder.add_edge(Edge("stage", "after", "depends"))
    builder.add_edge(Edge("stage/y/2", "after", "data", label="into a step from outside"))
    graph = builder.build()
    placed = layout(graph)
    check(graph, placed)  # the stage's title, wider than its jobs, fits too
    first, second = (text for _, text in placed.lines["stage"])
    assert (first, second) == ("A stage with a title much longer", "than its content")
    jobs = [placed.boxes[f"stage/{job}"] for job in ("x", "y", "z")]
    assert max(b.right for b in jobs) - min(b.x for b in jobs) < text_width(first, Metrics().font_size)


def test_a_cycle_is_still_drawn() -> None:
    builder = _builder()
    for name in ("a", "b", "c"):
        builder.add_node(Node(name, name))
    builder.chain(["a", "b", "c"])
    builder.add_edge(Edge("c", "a", "depends"))
    graph = builder.build()
    placed = layout(graph)
    check(graph, placed)


def test_an_edge_into_its_own_cluster_is_not_routed_and_the_rest_is() -> None:
    builder = _builder()
    builder.add_cluster(Cluster("c", "c"))
    builder.add_node(Node("c/0", "inside", parent="c"))
    builder.add_node(Node("out", "out"))
    builder.add_edge(Edge("c", "c/0"))
    builder.add_edge(Edge("c/0", "out"))
    placed = layout(builder.build())
    assert [(r.edge.source, r.edge.target) for r in placed.routes] == [("c/0", "out")]


def test_the_layout_is_deterministic(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["azure-devops/monitor.yml"]
    assert layout(graph) == layout(graph)


def test_the_checks_catch_a_route_through_a_box_and_overlapping_boxes() -> None:
    """Negative controls for `check`: an a -> d line through the middle of b, and b moved onto c."""
    builder = _builder()
    for name in ("a", "b", "c", "d"):
        builder.add_node(Node(name, name))
    builder.chain(["a", "b", "c", "d"])
    builder.add_edge(Edge("a", "d", "depends"))
    graph = builder.build()
    placed = layout(graph)
    a, b, d = placed.boxes["a"], placed.boxes["b"], placed.boxes["d"]
    through = (
        (a.right, a.y + a.height / 2),
        (b.x + b.width / 2, b.y + b.height / 2),
        (d.x, d.y + d.height / 2),
    )
    straight = [
        replace(r, points=through) if (r.edge.source, r.edge.target) == ("a", "d") else r
        for r in placed.routes
    ]
    with pytest.raises(AssertionError, match="a -> d crosses b"):
        check(graph, replace(placed, routes=tuple(straight)))
    stacked = {**placed.boxes, "b": placed.boxes["c"]}
    with pytest.raises(AssertionError):
        check(graph, replace(placed, boxes=stacked))
