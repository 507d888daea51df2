"""SVG output: well-formed XML, every node and cluster drawn with its text, no two node boxes overlapping,
every edge drawn, and nothing that reaches outside the file."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from amlops.graph.labels import lines_of
from amlops.graph.layout import Box
from amlops.graph.model import Graph
from amlops.graph.svg import to_svg

from .samples import hostile_graph

NS = {"svg": "http://www.w3.org/2000/svg"}


def _box(rect: ET.Element) -> Box:
    return Box(*(float(rect.get(k, "nan")) for k in ("x", "y", "width", "height")))


def _drawn(svg: str) -> tuple[ET.Element, dict[str, ET.Element], dict[str, ET.Element], list[ET.Element]]:
    root = ET.fromstring(svg)
    groups = root.findall("svg:g", NS)
    nodes = {g.get("data-id", ""): g for g in groups if "node" in (g.get("class") or "").split()}
    clusters = {g.get("data-id", ""): g for g in groups if "cluster" in (g.get("class") or "").split()}
    edges = [g for g in groups if "edge" in (g.get("class") or "").split()]
    return root, nodes, clusters, edges


@pytest.fixture(scope="module")
def drawings(real_graphs: dict[str, Graph]) -> dict[str, tuple[Graph, str]]:
    graphs = {**real_graphs, "hostile": hostile_graph()}
    return {name: (graph, to_svg(graph)) for name, graph in graphs.items()}


def test_every_drawing_is_an_svg_document_with_every_item(drawings: dict[str, tuple[Graph, str]]) -> None:
    for name, (graph, svg) in drawings.items():
        assert svg.startswith(
            '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
        ), name
        root, nodes, clusters, edges = _drawn(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        width, height = float(root.get("width", "0")), float(root.get("height", "0"))
        assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}", name
        assert set(nodes) == {n.id for n in graph.nodes}, name
        assert set(clusters) == {c.id for c in graph.clusters}, name
        for item_id, group in {**nodes, **clusters}.items():
            (rect,) = group.findall("svg:rect", NS)
            box = _box(rect)
            assert Box(0, 0, width, height).contains(box), (name, item_id)
            assert box.width > 0, (name, item_id)
            assert box.height > 0, (name, item_id)
            item = graph.node(item_id) if item_id in nodes else graph.cluster(item_id)
            shown = [t.text for t in group.findall("svg:text", NS)]
            assert shown == [text for _, text in lines_of(item)], (name, item_id)
            assert group.find("svg:title", NS) is not None, (name, item_id)
        assert [(e.get("data-source"), e.get("data-target")) for e in edges] == [
            (e.source, e.target) for e in graph.edges
        ], name
        for edge in edges:
            path = edge.find("svg:path", NS)
            assert path is not None, name
            assert re.fullmatch(r"M[\d.,\- LC]+", path.get("d", "")), name
            assert path.get("marker-end") == "url(#arrow)"


def test_no_two_node_boxes_overlap(drawings: dict[str, tuple[Graph, str]]) -> None:
    for name, (_, svg) in drawings.items():
        _, nodes, _, _ = _drawn(svg)
        boxes = {item_id: _box(group.find("svg:rect", NS)) for item_id, group in nodes.items()}  # type: ignore[arg-type]
        for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
            assert not box_a.overlaps(box_b), (name, a, b)


def test_each_cluster_is_drawn_around_what_it_holds(drawings: dict[str, tuple[Graph, str]]) -> None:
    for name, (graph, svg) in drawings.items():
        _, nodes, clusters, _ = _drawn(svg)
        boxes = {i: _box(g.find("svg:rect", NS)) for i, g in {**nodes, **clusters}.items()}  # type: ignore[arg-type]
        for item in graph.items():
            if item.parent is not None:
                assert boxes[item.parent].contains(boxes[item.id]), (name, item.id)


def test_conditions_and_kinds_are_classes(drawings: dict[str, tuple[Graph, str]]) -> None:
    graph, svg = drawings["azure-devops/train-model.yml"]
    _, nodes, clusters, _ = _drawn(svg)
    register = graph.children("train/run_training")[-3]
    assert nodes[register].get("class") == "node step conditional"
    assert clusters["train"].get("class") == "cluster stage"
    lines = [t for t in nodes[register].findall("svg:text", NS) if t.get("class") == "condition"]
    assert lines
    assert lines[0].text == "if: and(succeeded(),"


def test_names_that_look_like_markup_stay_text(drawings: dict[str, tuple[Graph, str]]) -> None:
    graph, svg = drawings["hostile"]
    root, nodes, _, _ = _drawn(svg)
    assert root.find(".//svg:b", NS) is None  # `<b>bold</b>` in a label is not an element
    text = " ".join(t.text or "" for t in nodes["end/subgraph x/-->"].findall("svg:text", NS))
    assert "<b>bold</b>" in text
    assert 'say "hi"' in text
    assert root.find("svg:title", NS).text == f"{graph.title} ({graph.source})"  # type: ignore[union-attr]


def test_the_drawing_is_self_contained(drawings: dict[str, tuple[Graph, str]]) -> None:
    for name, (_, svg) in drawings.items():
        root = ET.fromstring(svg)
        for element in root.iter():
            tag = element.tag.split("}")[-1]
            assert tag not in ("script", "image", "foreignObject", "use", "a"), (name, tag)
            assert not any(key.endswith("href") for key in element.attrib), (name, tag)
            for key, value in element.attrib.items():
                assert "url(" not in value or value == "url(#arrow)", (name, key, value)
        style = root.find("svg:style", NS)
        assert style is not None
        assert "@import" not in (style.text or "")
        assert "url(" not in (style.text or "")
        assert re.findall(r"https?://[^\s\"'<]+", svg) == ["http://www.w3.org/2000/svg"], name
