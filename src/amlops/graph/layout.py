"""The layout of a whole `Graph`, in pure Python: where every box and edge goes in the SVG.

Clusters are laid out from the inside out: each cluster (and the top level) arranges its own children in
layers along its `direction` (`amlops.graph.layers`), then is sized around them and its title, and is
arranged as one box by its parent. An edge is drawn at the level that holds both its ends, between the
items of that level that contain them (an edge from outside into a cluster's step is drawn to the cluster);
an edge from a cluster to something inside it is not drawn.

Items of one level never overlap (they are separated across a layer by the gap, and layers by the rank gap),
and a cluster is sized around its laid-out children, so no two boxes overlap unless one holds the other.
Text is not measured: `labels.text_width` estimates it generously.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from amlops.graph.geometry import Box, Metrics, Point
from amlops.graph.labels import LineKind, lines_of, text_width, wrap
from amlops.graph.layers import Level, arrange
from amlops.graph.model import Edge, Graph

__all__ = ["Box", "Layout", "Metrics", "Point", "Route", "layout"]


@dataclass(frozen=True)
class Route:
    """Where one edge is drawn: `points` from its source's border to its target's, and its label's box."""

    edge: Edge
    points: tuple[Point, ...]
    label: Box | None = None
    label_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """Every node and cluster's box (`boxes`), the text drawn in it (`lines`), the height of each cluster's
    title block (`title_heights`) and the edges' routes, all from the origin (0, 0)."""

    width: float
    height: float
    boxes: Mapping[str, Box]
    lines: Mapping[str, tuple[tuple[LineKind, str], ...]]
    title_heights: Mapping[str, float]
    routes: tuple[Route, ...]
    metrics: Metrics = field(default_factory=Metrics)


def _lift(graph: Graph) -> dict[str | None, list[tuple[str, str, int]]]:
    """Each edge at the level of the innermost cluster holding both ends, between that level's items."""
    levels: dict[str | None, list[tuple[str, str, int]]] = {}
    for number, edge in enumerate(graph.edges):
        source_chain = [edge.source, *graph.ancestors(edge.source)]
        target_chain = [edge.target, *graph.ancestors(edge.target)]
        if edge.source in target_chain or edge.target in source_chain:
            continue  # from a cluster to something inside it: nothing to draw between two boxes
        common = next((c for c in source_chain[1:] if c in target_chain[1:]), None)
        source = next(item for item in source_chain if graph.parent_of(item) == common)
        target = next(item for item in target_chain if graph.parent_of(item) == common)
        levels.setdefault(common, []).append((source, target, number))
    return levels


def layout(graph: Graph, metrics: Metrics | None = None) -> Layout:
    """Place every node, cluster and edge of `graph` (see the module's docstring)."""
    m = metrics or Metrics()
    lines = {item.id: tuple(lines_of(item, m.wrap)) for item in graph.items()}

    def text_size(item_id: str) -> tuple[float, float]:
        text = lines[item_id]
        width = max(text_width(t, m.font_size) for _, t in text)
        return width, len(text) * m.line_height

    label_lines = {n: tuple(wrap(e.label, m.wrap)) for n, e in enumerate(graph.edges) if e.label}
    label_sizes = {
        n: (max(text_width(t, m.font_size) for t in text) + 8, len(text) * m.line_height + 4)
        for n, text in label_lines.items()
    }
    levels = _lift(graph)
    sizes: dict[str, tuple[float, float]] = {}
    arranged: dict[str | None, Level] = {}
    titles: dict[str, float] = {}

    def measure(parent: str | None) -> None:
        children = graph.children(parent)
        for child in children:
            if graph.is_cluster(child):
                measure(child)
            else:
                width, height = text_size(child)
                sizes[child] = (width + 2 * m.node_pad_x, height + 2 * m.node_pad_y)
        direction = graph.direction if parent is None else graph.cluster(parent).direction
        level = arrange(children, sizes, levels.get(parent, []), direction, m, label_sizes)
        arranged[parent] = level
        if parent is not None:
            title_width, title_height = text_size(parent)
            titles[parent] = title_height
            width = max(level.width, title_width) + 2 * m.cluster_pad
            height = title_height + m.title_gap + level.height + 2 * m.cluster_pad
            sizes[parent] = (width, height)

    measure(None)
    boxes: dict[str, Box] = {}
    routes: list[Route] = []

    def put(parent: str | None, x: float, y: float) -> None:
        level = arranged[parent]
        for item, (dx, dy) in level.positions.items():
            width, height = sizes[item]
            box = Box(x + dx, y + dy, width, height)
            boxes[item] = box
            if graph.is_cluster(item):
                inner = arranged[item]
                indent = (width - 2 * m.cluster_pad - inner.width) / 2
                put(item, box.x + m.cluster_pad + indent, box.y + m.cluster_pad + titles[item] + m.title_gap)
        for edge_index, points, label in level.routes:
            moved = tuple((px + x, py + y) for px, py in points)
            routes.append(
                Route(
                    graph.edges[edge_index],
                    moved,
                    label.moved(x, y) if label is not None else None,
                    label_lines.get(edge_index, ()),
                )
            )

    put(None, 0.0, 0.0)
    top = arranged[None]
    extent_x = max([top.width, *(r.label.right for r in routes if r.label is not None)])
    extent_y = max([top.height, *(r.label.bottom for r in routes if r.label is not None)])
    return Layout(extent_x, extent_y, boxes, lines, titles, tuple(routes), m)
