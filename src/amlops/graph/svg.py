"""A `Graph` as a self-contained SVG document: no script, no external font, image or stylesheet.

Laid out by `amlops.graph.layout`; built with ElementTree, so every label is escaped as XML. Clusters are
drawn first (outermost first), then edges, then nodes. Each drawn item is a `<g>` with `class`
(`cluster stage`, `node step`, `edge depends`, ...) and `data-id` (the graph's id; edges carry
`data-source` and `data-target`), so tests and people can find it; nodes and clusters carry a `<title>`
with their full text, shown as a tooltip.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from amlops.graph.labels import text_width
from amlops.graph.layout import Box, Layout, Metrics, Point, layout
from amlops.graph.model import Cluster, Graph, Node

SVG_NS = "http://www.w3.org/2000/svg"
MARGIN = 16.0
FONT = "'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif"
STYLE = f"""
text {{ font-family: {FONT}; font-size: 12px; fill: #1f2933; }}
.header .title {{ font-size: 15px; font-weight: 600; }}
.header .source {{ fill: #616e7c; }}
.cluster rect {{ stroke-width: 1; }}
.cluster.stage rect {{ fill: #eef2f8; stroke: #8a9bb8; }}
.cluster.job rect {{ fill: #ffffff; stroke: #9aa5b1; }}
.cluster.workflow rect {{ fill: #fbf6ea; stroke: #c2a878; }}
.cluster.hook rect {{ fill: #f7f7f7; stroke: #b8b8b8; }}
.cluster text.label {{ font-weight: 600; }}
.conditional > rect {{ stroke-dasharray: 5 3; }}
.node rect {{ fill: #e3ecfa; stroke: #4a6fa5; stroke-width: 1.2; }}
.node.input rect, .node.output rect {{ fill: #e6f4e6; stroke: #4f8a4f; }}
.node.call rect {{ fill: #fbf6ea; stroke: #a8884f; }}
.node.empty rect {{ fill: #f6f6f6; stroke: #bbbbbb; }}
.detail {{ fill: #52606d; font-size: 11px; }}
.condition {{ fill: #8d2b0b; font-size: 11px; font-style: italic; }}
.edge path {{ fill: none; stroke: #616e7c; stroke-width: 1.3; }}
.edge.data path {{ stroke: #4f8a4f; }}
.edge .label-box {{ fill: #ffffff; stroke: none; opacity: 0.9; }}
.edge text {{ font-size: 11px; fill: #3e4c59; }}
"""


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _path(points: tuple[Point, ...]) -> str:
    """Straight along a layer, an S-curve across the gap between two layers (the only diagonal moves)."""
    x0, y0 = points[0]
    parts = [f"M{_number(x0)},{_number(y0)}"]
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        if xa != xb and ya != yb:
            horizontal = abs(xb - xa) >= abs(yb - ya)
            if horizontal:
                c1, c2 = ((xa + xb) / 2, ya), ((xa + xb) / 2, yb)
            else:
                c1, c2 = (xa, (ya + yb) / 2), (xb, (ya + yb) / 2)
            parts.append(
                f"C{_number(c1[0])},{_number(c1[1])} {_number(c2[0])},{_number(c2[1])} "
                f"{_number(xb)},{_number(yb)}"
            )
        else:
            parts.append(f"L{_number(xb)},{_number(yb)}")
    return " ".join(parts)


class _Painter:
    def __init__(self, graph: Graph, placed: Layout, dx: float, dy: float) -> None:
        self.graph = graph
        self.placed = placed
        self.dx = dx
        self.dy = dy
        self.m: Metrics = placed.metrics

    def rect(self, parent: ET.Element, box: Box, *, radius: float = 4.0) -> None:
        ET.SubElement(
            parent,
            "rect",
            {
                "x": _number(box.x + self.dx),
                "y": _number(box.y + self.dy),
                "width": _number(box.width),
                "height": _number(box.height),
                "rx": _number(radius),
            },
        )

    def text(self, parent: ET.Element, item_id: str, x: float, y: float, *, anchor: str) -> None:
        for number, (kind, line) in enumerate(self.placed.lines[item_id]):
            baseline = y + number * self.m.line_height + self.m.font_size
            element = ET.SubElement(
                parent,
                "text",
                {"x": _number(x + self.dx), "y": _number(baseline + self.dy), "text-anchor": anchor},
            )
            element.set("class", kind)
            element.text = line

    def cluster(self, root: ET.Element, cluster: Cluster) -> None:
        box = self.placed.boxes[cluster.id]
        classes = f"cluster {cluster.kind}" + (" conditional" if cluster.condition is not None else "")
        group = ET.SubElement(root, "g", {"class": classes, "data-id": cluster.id})
        ET.SubElement(group, "title").text = "\n".join(text for _, text in self.placed.lines[cluster.id])
        self.rect(group, box, radius=6.0)
        self.text(
            group, cluster.id, box.x + self.m.cluster_pad, box.y + self.m.cluster_pad - 2, anchor="start"
        )

    def node(self, root: ET.Element, node: Node) -> None:
        box = self.placed.boxes[node.id]
        classes = f"node {node.kind}" + (" conditional" if node.condition is not None else "")
        group = ET.SubElement(root, "g", {"class": classes, "data-id": node.id})
        ET.SubElement(group, "title").text = "\n".join(text for _, text in self.placed.lines[node.id])
        radius = box.height / 2 if node.kind in ("input", "output") else 4.0
        self.rect(group, box, radius=min(radius, 18.0))
        lines = self.placed.lines[node.id]
        top = box.y + (box.height - len(lines) * self.m.line_height) / 2 - 2
        self.text(group, node.id, box.x + box.width / 2, top, anchor="middle")

    def edges(self, root: ET.Element) -> None:
        for route in self.placed.routes:
            edge = route.edge
            group = ET.SubElement(
                root,
                "g",
                {"class": f"edge {edge.kind}", "data-source": edge.source, "data-target": edge.target},
            )
            moved = tuple((x + self.dx, y + self.dy) for x, y in route.points)
            ET.SubElement(group, "path", {"d": _path(moved), "marker-end": "url(#arrow)"})
            if route.label is not None:
                box = route.label
                self.rect(group, box, radius=3.0)
                group[-1].set("class", "label-box")
                for number, line in enumerate(route.label_lines):
                    baseline = box.y + 2 + number * self.m.line_height + self.m.font_size - 1
                    text = ET.SubElement(
                        group,
                        "text",
                        {
                            "x": _number(box.x + box.width / 2 + self.dx),
                            "y": _number(baseline + self.dy),
                            "text-anchor": "middle",
                        },
                    )
                    text.text = line


def _depth(graph: Graph, cluster: Cluster) -> int:
    return len(graph.ancestors(cluster.id))


def to_svg(graph: Graph, placed: Layout | None = None) -> str:
    """The SVG document (UTF-8 text with an XML declaration)."""
    placed = placed or layout(graph)
    title_size, line = 15.0, placed.metrics.line_height
    header_height = title_size + 4 + line + 10
    dx, dy = MARGIN, MARGIN + header_height
    about = f"{graph.source} · {graph.dialect}"
    header_width = max(text_width(graph.title, title_size), text_width(about, 12.0))
    width = max(placed.width, header_width) + 2 * MARGIN
    height = placed.height + header_height + 2 * MARGIN
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": _number(width),
            "height": _number(height),
            "viewBox": f"0 0 {_number(width)} {_number(height)}",
            "role": "img",
            "aria-label": f"{graph.title} ({graph.source})",
        },
    )
    ET.SubElement(root, "title").text = f"{graph.title} ({graph.source})"
    ET.SubElement(root, "style").text = STYLE
    defs = ET.SubElement(root, "defs")
    marker = ET.SubElement(
        defs,
        "marker",
        {
            "id": "arrow",
            "viewBox": "0 0 10 10",
            "refX": "9",
            "refY": "5",
            "markerWidth": "7",
            "markerHeight": "7",
            "orient": "auto-start-reverse",
        },
    )
    ET.SubElement(marker, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": "#616e7c"})
    ET.SubElement(root, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff"})
    header = ET.SubElement(root, "g", {"class": "header"})
    title = ET.SubElement(
        header, "text", {"class": "title", "x": _number(MARGIN), "y": _number(MARGIN + title_size)}
    )
    title.text = graph.title
    source = ET.SubElement(
        header,
        "text",
        {"class": "source", "x": _number(MARGIN), "y": _number(MARGIN + title_size + 4 + line)},
    )
    source.text = about
    painter = _Painter(graph, placed, dx, dy)
    for cluster in sorted(graph.clusters, key=lambda c: _depth(graph, c)):
        painter.cluster(root, cluster)
    painter.edges(root)
    for node in graph.nodes:
        painter.node(root, node)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
