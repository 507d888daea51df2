"""One level of the layout: boxes of known sizes and the edges between them, arranged in layers.

A simplified Sugiyama method, one method per step of `arrange`:

1. `_orient`: an edge that closes a cycle (found depth first, in item order) is turned round;
2. `_rank`: the longest path from a source, so every edge points to a later layer;
3. `_split`: an edge spanning several layers passes through a thin placeholder in each layer between,
   so that it is routed beside the boxes, never through them;
4. `_order`: barycenter sweeps (down, up, down, up) order each layer to untangle crossings;
5. `_place_across`: packed with `gap` between neighbours, each box pulled towards the boxes it connects
   to (the mean of the pulls, so neighbours never come closer than the gap);
6. `_place_along`: each layer as thick as its thickest box, boxes centred in it; the gap after a layer is
   widened for the labels of the edges that start there;
7. `_routes`: from a box's face straight to the end of its layer, across the gap, straight into the next
   box; several edges on one face are spread over it.

`direction` LR makes layers columns (the main axis is x), TB rows (y).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from amlops.graph.geometry import Box, Metrics, Point
from amlops.graph.model import Direction


@dataclass(frozen=True)
class Level:
    """The arrangement: each item's top-left corner, the level's size, and for each edge (by its index in
    the graph) its points and its label's box, all from the level's origin."""

    positions: Mapping[str, Point]
    width: float
    height: float
    routes: tuple[tuple[int, tuple[Point, ...], Box | None], ...]


@dataclass(frozen=True)
class _Segment:
    start: str
    end: str
    chain: int  # which oriented edge it belongs to
    first: bool


class _Layers:
    def __init__(  # noqa: PLR0917 (see `arrange`)
        self,
        items: Sequence[str],
        sizes: Mapping[str, tuple[float, float]],
        edges: Sequence[tuple[str, str, int]],
        direction: Direction,
        metrics: Metrics,
        label_sizes: Mapping[int, tuple[float, float]],
    ) -> None:
        self.items = list(items)
        self.sizes = sizes
        self.edges = [e for e in edges if e[0] != e[1]]
        self.horizontal = direction == "LR"
        self.m = metrics
        self.label_sizes = label_sizes
        self.oriented: list[tuple[str, str, int]] = []
        self.rank: dict[str, int] = {}
        self.layers: list[list[str]] = []
        self.segments: list[_Segment] = []
        self.predecessors: dict[str, list[str]] = {}
        self.successors: dict[str, list[str]] = {}
        self.centre: dict[str, float] = {}
        self.cross_extent = 0.0
        self.thickness: list[float] = []
        self.starts: list[float] = []
        self.main_extent = 0.0

    # sizes along the layers' axis (main) and across it (cross); placeholders are thin and have no length
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

    def point(self, main: float, across: float) -> Point:
        return (main, across) if self.horizontal else (across, main)

    def middle(self, vertex: str) -> float:
        r = self.rank[vertex]
        return self.starts[r] + self.thickness[r] / 2

    def arrange(self) -> Level:
        if not self.items:
            return Level({}, 0.0, 0.0, ())
        self._orient()
        self._rank()
        self._split()
        self._order()
        self._place_across()
        self._place_along()
        return self._routes()

    def _orient(self) -> None:
        successors: dict[str, list[str]] = {item: [] for item in self.items}
        for source, target, _ in self.edges:
            if target not in successors[source]:
                successors[source].append(target)
        state: dict[str, int] = {}  # 1: on the depth-first path, 2: done
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
        self.oriented = [(t, s, i) if (s, t) in back else (s, t, i) for s, t, i in self.edges]

    def _rank(self) -> None:
        rank = dict.fromkeys(self.items, 0)
        incoming = dict.fromkeys(self.items, 0)
        outgoing: dict[str, list[str]] = {item: [] for item in self.items}
        for source, target, _ in self.oriented:
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
        self.rank = rank

    def _split(self) -> None:
        self.layers = [[] for _ in range(max(self.rank.values()) + 1)]
        for item in self.items:
            self.layers[self.rank[item]].append(item)
        for number, (source, target, _) in enumerate(self.oriented):
            chain = [source]
            for step in range(self.rank[source] + 1, self.rank[target]):
                placeholder = f"\0{number}:{step}"
                self.rank[placeholder] = step
                self.layers[step].append(placeholder)
                chain.append(placeholder)
            chain.append(target)
            for k, (start, end) in enumerate(itertools.pairwise(chain)):
                self.segments.append(_Segment(start, end, number, k == 0))
        vertices = [v for layer in self.layers for v in layer]
        self.predecessors = {v: [] for v in vertices}
        self.successors = {v: [] for v in vertices}
        for segment in self.segments:
            self.predecessors[segment.end].append(segment.start)
            self.successors[segment.start].append(segment.end)

    def _sweeps(self, count: int) -> list[tuple[int, dict[str, list[str]]]]:
        """(layer, neighbours to follow) in sweep order: down the layers, then up, `count` times in all."""
        last = len(self.layers) - 1
        order: list[tuple[int, dict[str, list[str]]]] = []
        for sweep in range(count):
            if sweep % 2 == 0:
                order += [(r, self.predecessors) for r in range(1, last + 1)]
            else:
                order += [(r, self.successors) for r in range(last - 1, -1, -1)]
        return order

    def _order(self) -> None:
        position = {v: i for layer in self.layers for i, v in enumerate(layer)}
        for r, neighbours in self._sweeps(4):

            def key(vertex: str, neighbours: dict[str, list[str]] = neighbours) -> float:
                linked = neighbours[vertex]
                return sum(position[v] for v in linked) / len(linked) if linked else float(position[vertex])

            self.layers[r].sort(key=key)
            position.update({vertex: i for i, vertex in enumerate(self.layers[r])})

    def _place(self, layer: list[str], desired: Mapping[str, float | None]) -> None:
        """Centres across the layer: each where it is pulled (else where it was, else packed), at least the
        gap after its neighbour; then the layer moves by the mean remaining pull."""
        placed: list[float] = []
        pulls: list[float] = []
        edge: float | None = None
        for vertex in layer:
            half = self.cross(vertex) / 2
            target = desired.get(vertex)
            packed = half if edge is None else edge + self.m.gap + half
            wanted = target if target is not None else self.centre.get(vertex, packed)
            value = wanted if edge is None else max(wanted, packed)
            placed.append(value)
            if target is not None:
                pulls.append(target - value)
            edge = value + half
        shift = sum(pulls) / len(pulls) if pulls else 0.0
        for vertex, value in zip(layer, placed, strict=True):
            self.centre[vertex] = value + shift

    def _place_across(self) -> None:
        for layer in self.layers:
            self._place(layer, {})
        for r, neighbours in self._sweeps(3):
            desired = {
                v: sum(self.centre[u] for u in neighbours[v]) / len(neighbours[v]) if neighbours[v] else None
                for v in self.layers[r]
            }
            self._place(self.layers[r], desired)
        low = min(self.centre[v] - self.cross(v) / 2 for v in self.centre)
        for vertex in self.centre:
            self.centre[vertex] -= low
        self.cross_extent = max(self.centre[v] + self.cross(v) / 2 for v in self.centre)

    def _label_size(self, segment: _Segment) -> tuple[float, float] | None:
        edge_index = self.oriented[segment.chain][2]
        return self.label_sizes.get(edge_index) if segment.first else None

    def _place_along(self) -> None:
        count = len(self.layers)
        self.thickness = [max((self.main(v) for v in layer), default=0.0) for layer in self.layers]
        gaps = [self.m.rank_gap] * max(count - 1, 0)
        for segment in self.segments:
            size = self._label_size(segment)
            if size is not None:
                need = (size[0] if self.horizontal else size[1]) + 2 * self.m.label_pad
                r = self.rank[segment.start]
                gaps[r] = max(gaps[r], need)
        cursor = 0.0
        for r in range(count):
            self.starts.append(cursor)
            cursor += self.thickness[r] + (gaps[r] if r < count - 1 else 0.0)
        self.main_extent = cursor

    def _ports(self) -> dict[tuple[int, str], float]:
        """Where each segment leaves its start and enters its end, across the layer."""
        ports: dict[tuple[int, str], float] = {}
        for end, other in (("start", "end"), ("end", "start")):
            by_vertex: dict[str, list[int]] = {}
            for k, segment in enumerate(self.segments):
                by_vertex.setdefault(getattr(segment, end), []).append(k)
            for vertex, indices in by_vertex.items():
                indices.sort(key=lambda k, other=other: self.centre[getattr(self.segments[k], other)])
                span = 0.6 * self.cross(vertex) if vertex in self.sizes else 0.0
                for n, k in enumerate(indices):
                    offset = 0.0 if len(indices) == 1 else -span / 2 + span * n / (len(indices) - 1)
                    ports[(k, end)] = self.centre[vertex] + offset
        return ports

    def _separate(self, labels: dict[int, Box]) -> None:
        """Labels that overlap are pushed apart across the layers."""
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

    def _routes(self) -> Level:
        ports = self._ports()
        chains: dict[int, list[Point]] = {}
        labels: dict[int, Box] = {}
        for k, segment in enumerate(self.segments):
            r = self.rank[segment.start]
            leave, enter = ports[(k, "start")], ports[(k, "end")]
            layer_end, next_start = self.starts[r] + self.thickness[r], self.starts[r + 1]
            exit_main = self.middle(segment.start) + self.main(segment.start) / 2
            entry_main = self.middle(segment.end) - self.main(segment.end) / 2
            if segment.start not in self.sizes:
                exit_main = layer_end
            if segment.end not in self.sizes:
                entry_main = next_start
            route = chains.setdefault(segment.chain, [])
            for p in (
                self.point(exit_main, leave),
                self.point(layer_end, leave),
                self.point(next_start, enter),
                self.point(entry_main, enter),
            ):
                if not route or route[-1] != p:
                    route.append(p)
            size = self._label_size(segment)
            if size is not None:
                x, y = self.point((layer_end + next_start) / 2, (leave + enter) / 2)
                labels[segment.chain] = Box(x - size[0] / 2, y - size[1] / 2, size[0], size[1])
        self._separate(labels)
        positions = {
            item: self.point(
                self.middle(item) - self.main(item) / 2, self.centre[item] - self.cross(item) / 2
            )
            for item in self.items
        }
        routes = []
        for number, (source, target, edge_index) in enumerate(self.oriented):
            points = chains[number]
            if next(e for e in self.edges if e[2] == edge_index)[:2] != (source, target):
                points = list(reversed(points))  # turned round for the ranking: drawn the way it points
            routes.append((edge_index, tuple(points), labels.get(number)))
        width, height = self.point(self.main_extent, self.cross_extent)
        return Level(positions, width, height, tuple(routes))


def arrange(  # noqa: PLR0917 (one level's whole input)
    items: Sequence[str],
    sizes: Mapping[str, tuple[float, float]],
    edges: Sequence[tuple[str, str, int]],
    direction: Direction,
    metrics: Metrics,
    label_sizes: Mapping[int, tuple[float, float]],
) -> Level:
    """Arrange `items` (each of `sizes[item]` = (width, height)) joined by `edges` (source, target, edge
    index; self-loops are ignored); `label_sizes` are the sizes of the labelled edges' labels by index."""
    return _Layers(items, sizes, edges, direction, metrics, label_sizes).arrange()
