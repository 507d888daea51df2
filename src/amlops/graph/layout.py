"""A small layered layout for a `Graph`, in pure Python: where every box and edge goes in the SVG.

Clusters are laid out from the inside out. Each cluster (and the top level) arranges its own children in
layers along its `direction` (TB: layers are rows, LR: columns), with a simplified Sugiyama method:

1. edges are lifted to the level that holds both ends (an edge into a cluster's step from outside joins
   the cluster itself); an edge that closes a cycle is turned round for the ranking only;
2. ranks: the longest path from a source, so every edge points to a later layer;
3. an edge spanning several layers passes through a thin placeholder in each layer between, so it is
   routed beside the boxes, never through them;
4. order within a layer: barycenter sweeps (down, up, down, up) to untangle crossings;
5. position across the layer: packed with a gap, each box pulled towards the boxes it connects to,
   never closer to its neighbour than the gap; along the layer: centred in the layer's thickness;
6. routes: straight inside a layer, across the gap between layers (which is widened for edge labels).

Items of one level never overlap (they are separated across the layer by the gap, and layers by the
rank gap), and a cluster is sized around its laid-out children, so no two boxes overlap unless one
holds the other. Text is not measured: `labels.text_width` estimates it generously.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from amlops.graph.labels import LINE_CHARS, LineKind, lines_of, text_width, wrap
from amlops.graph.model import Direction, Edge, Graph

Point = tuple[float, float]


@dataclass(frozen=True)
class Metrics:
    """Sizes in pixels."""

    font_size: float = 12.0
    line_height: float = 15.0
    node_pad_x: float = 10.0
    node_pad_y: float = 7.0
    cluster_pad: float = 12.0
    title_gap: float = 8.0
    gap: float = 18.0
    rank_gap: float = 34.0
    dummy: float = 8.0
    label_pad: float = 6.0
    wrap: int = LINE_CHARS


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        """True if the two boxes share more than an edge."""
        return (
            self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom
        )

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.width, self.height)


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


@dataclass
class _Level:
    positions: dict[str, Point]  # top-left of each item, from the level's origin
    width: float
    height: float
    routes: list[tuple[int, list[Point], Box | None]]


@dataclass
class _Segment:
    start: str
    end: str
    edge: int
    first: bool


class _Arranger:
    """Lays out one level: `items` with their sizes, the edges between them (source, target, edge index)."""

    def __init__(  # noqa: PLR0917 (internal helper)
        self,
        items: Sequence[str],
        sizes: Mapping[str, tuple[float, float]],
        edges: Sequence[tuple[str, str, int]],
        direction: Direction,
        metrics: Metrics,
        label_sizes: Mapping[int, tuple[float, float]],
    ) -> None:
        self.items = list(items)
        self.sizes = dict(sizes)
        self.edges = [e for e in edges if e[0] != e[1]]
        self.horizontal = direction == "LR"
        self.m = metrics
        self.label_sizes = label_sizes
        self.index = {item: i for i, item in enumerate(self.items)}

    # sizes along the layer axis (main) and across it (cross)
    def main(self, vertex: str) -> float:
        if vertex not in self.sizes:
            return 0.0
        width, height = self.sizes[vertex]
        return width if self.horizontal else height

    def cross(self, vertex: str) -> float:
        if vertex not in self.sizes:
            return self.m.dummy
        width, height = self.sizes[vertex]
        return height if self.horizontal else width

    def oriented(self) -> list[tuple[str, str, int]]:
        """The edges with those closing a cycle (found depth first, in item order) turned round."""
        successors: dict[str, list[str]] = {item: [] for item in self.items}
        for source, target, _ in self.edges:
            if target not in successors[source]:
                successors[source].append(target)
        state: dict[str, int] = {}
        back: set[tuple[str, str]] = set()
        for root in self.items:
            if root in state:
                continue
            state[root] = 1
            stack = [(root, iter(successors[root]))]
            while stack:
                vertex, pending = stack[-1]
                following = next(pending, None)
                if following is None:
                    state[vertex] = 2
                    stack.pop()
                elif state.get(following) == 1:
                    back.add((vertex, following))
                elif following not in state:
                    state[following] = 1
                    stack.append((following, iter(successors[following])))
        return [(t, s, i) if (s, t) in back else (s, t, i) for s, t, i in self.edges]

    def ranks(self, oriented: Sequence[tuple[str, str, int]]) -> dict[str, int]:
        rank = dict.fromkeys(self.items, 0)
        incoming = dict.fromkeys(self.items, 0)
        outgoing: dict[str, list[str]] = {item: [] for item in self.items}
        for source, target, _ in oriented:
            incoming[target] += 1
            outgoing[source].append(target)
        ready = [item for item in self.items if incoming[item] == 0]
        while ready:
            vertex = ready.pop(0)
            for target in outgoing[vertex]:
                rank[target] = max(rank[target], rank[vertex] + 1)
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
        return rank

    def arrange(self) -> _Level:
        m = self.m
        if not self.items:
            return _Level({}, 0.0, 0.0, [])
        oriented = self.oriented()
        rank = self.ranks(oriented)
        layer_count = max(rank.values()) + 1
        layers: list[list[str]] = [[] for _ in range(layer_count)]
        for item in self.items:
            layers[rank[item]].append(item)
        vertex_rank = dict(rank)
        segments: list[_Segment] = []
        for number, (source, target, _edge) in enumerate(oriented):
            chain = [source]
            for step in range(rank[source] + 1, rank[target]):
                dummy = f"\0{number}:{step}"
                vertex_rank[dummy] = step
                layers[step].append(dummy)
                chain.append(dummy)
            chain.append(target)
            for k, (start, end) in enumerate(itertools.pairwise(chain)):
                segments.append(_Segment(start, end, number, k == 0))
        predecessors: dict[str, list[str]] = {v: [] for layer in layers for v in layer}
        successors: dict[str, list[str]] = {v: [] for layer in layers for v in layer}
        for segment in segments:
            predecessors[segment.end].append(segment.start)
            successors[segment.start].append(segment.end)

        # order within the layers
        position = {v: i for layer in layers for i, v in enumerate(layer)}
        for sweep in range(4):
            downward = sweep % 2 == 0
            sequence = range(1, layer_count) if downward else range(layer_count - 2, -1, -1)
            for r in sequence:
                neighbours = predecessors if downward else successors

                def key(vertex: str, neighbours: dict[str, list[str]] = neighbours) -> float:
                    linked = neighbours[vertex]
                    if not linked:
                        return float(position[vertex])
                    return sum(position[v] for v in linked) / len(linked)

                layers[r].sort(key=key)
                for i, vertex in enumerate(layers[r]):
                    position[vertex] = i

        # across the layers: centres
        centre: dict[str, float] = {}

        def place(layer: list[str], desired: Mapping[str, float | None]) -> None:
            placed: list[float] = []
            offsets: list[float] = []
            edge = None
            for vertex in layer:
                half = self.cross(vertex) / 2
                target = desired.get(vertex)
                fallback = centre.get(vertex, (edge + m.gap + half) if edge is not None else half)
                wanted = target if target is not None else fallback
                value = wanted if edge is None else max(wanted, edge + m.gap + half)
                placed.append(value)
                if target is not None:
                    offsets.append(target - value)
                edge = value + half
            shift = sum(offsets) / len(offsets) if offsets else 0.0
            for vertex, value in zip(layer, placed, strict=True):
                centre[vertex] = value + shift

        place(layers[0], {})
        for r in range(1, layer_count):
            place(layers[r], {})
        for sweep in range(3):
            downward = sweep % 2 == 0
            sequence = range(1, layer_count) if downward else range(layer_count - 2, -1, -1)
            neighbours = predecessors if downward else successors
            for r in sequence:
                desired = {
                    v: (sum(centre[u] for u in neighbours[v]) / len(neighbours[v])) if neighbours[v] else None
                    for v in layers[r]
                }
                place(layers[r], desired)
        low = min(centre[v] - self.cross(v) / 2 for v in centre)
        for vertex in centre:
            centre[vertex] -= low
        cross_extent = max(centre[v] + self.cross(v) / 2 for v in centre)

        # along the layers: thickness, gaps (wide enough for the labels of the edges starting there)
        thickness = [max((self.main(v) for v in layer), default=0.0) for layer in layers]
        gaps = [m.rank_gap] * max(layer_count - 1, 0)
        for segment in segments:
            edge_index = oriented[segment.edge][2]
            if segment.first and edge_index in self.label_sizes:
                width, height = self.label_sizes[edge_index]
                need = (width if self.horizontal else height) + 2 * m.label_pad
                r = vertex_rank[segment.start]
                gaps[r] = max(gaps[r], need)
        starts: list[float] = []
        cursor = 0.0
        for r in range(layer_count):
            starts.append(cursor)
            cursor += thickness[r] + (gaps[r] if r < layer_count - 1 else 0.0)
        main_extent = cursor

        def point(main: float, across: float) -> Point:
            return (main, across) if self.horizontal else (across, main)

        def middle(vertex: str) -> float:
            r = vertex_rank[vertex]
            return starts[r] + thickness[r] / 2

        # ports: where edges leave and enter a box, spread along its face
        ports: dict[tuple[int, str], float] = {}
        for end_name in ("start", "end"):
            by_vertex: dict[str, list[int]] = {}
            for k, segment in enumerate(segments):
                by_vertex.setdefault(getattr(segment, end_name), []).append(k)
            for vertex, indices in by_vertex.items():
                other = "end" if end_name == "start" else "start"
                indices.sort(key=lambda k, other=other: centre[getattr(segments[k], other)])
                span = 0.6 * self.cross(vertex) if vertex in self.sizes else 0.0
                for n, k in enumerate(indices):
                    offset = 0.0 if len(indices) == 1 else -span / 2 + span * n / (len(indices) - 1)
                    ports[(k, end_name)] = centre[vertex] + offset

        routes: dict[int, list[Point]] = {}
        labels: dict[int, Box] = {}
        for k, segment in enumerate(segments):
            r = vertex_rank[segment.start]
            leave, enter = ports[(k, "start")], ports[(k, "end")]
            exit_main = middle(segment.start) + self.main(segment.start) / 2
            entry_main = middle(segment.end) - self.main(segment.end) / 2
            if segment.start not in self.sizes:
                exit_main = starts[r] + thickness[r]
            if segment.end not in self.sizes:
                entry_main = starts[r + 1]
            layer_end, next_start = starts[r] + thickness[r], starts[r + 1]
            points = [
                point(exit_main, leave),
                point(layer_end, leave),
                point(next_start, enter),
                point(entry_main, enter),
            ]
            route = routes.setdefault(segment.edge, [])
            for p in points:
                if not route or route[-1] != p:
                    route.append(p)
            edge_index = oriented[segment.edge][2]
            if segment.first and edge_index in self.label_sizes:
                width, height = self.label_sizes[edge_index]
                mid = point((layer_end + next_start) / 2, (leave + enter) / 2)
                labels[segment.edge] = Box(mid[0] - width / 2, mid[1] - height / 2, width, height)
        self._separate_labels(labels)

        positions: dict[str, Point] = {}
        for item in self.items:
            width, height = self.sizes[item]
            main_low = middle(item) - self.main(item) / 2
            cross_low = centre[item] - self.cross(item) / 2
            positions[item] = point(main_low, cross_low)
        finished: list[tuple[int, list[Point], Box | None]] = []
        for number, (source, target, edge_index) in enumerate(oriented):
            points = routes[number]
            original = next(e for e in self.edges if e[2] == edge_index)
            if (source, target) != (original[0], original[1]):
                points = list(reversed(points))
            finished.append((edge_index, points, labels.get(number)))
        width, height = (main_extent, cross_extent) if self.horizontal else (cross_extent, main_extent)
        return _Level(positions, width, height, finished)

    def _separate_labels(self, labels: dict[int, Box]) -> None:
        """Labels in the same gap that overlap are pushed apart across the layers."""
        placed: list[Box] = []
        for number in sorted(labels, key=lambda n: (labels[n].x, labels[n].y)):
            box = labels[number]
            moved = True
            while moved:
                moved = False
                for other in placed:
                    if box.overlaps(other):
                        if self.horizontal:
                            box = box.moved(0.0, other.bottom + 2 - box.y)
                        else:
                            box = box.moved(other.right + 2 - box.x, 0.0)
                        moved = True
            labels[number] = box
            placed.append(box)


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
    arranged: dict[str | None, _Level] = {}
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
        level = _Arranger(children, sizes, levels.get(parent, []), direction, m, label_sizes).arrange()
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
