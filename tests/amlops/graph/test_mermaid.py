"""Mermaid output: every statement is one of the forms we mean to write, and Mermaid's own parser
(tools/mermaid) reads each diagram back into exactly the graph's nodes, clusters, edges and label text,
for the repository's pipelines and for a graph whose names are made to break a careless writer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from mermaid_parser import parse

from amlops.graph.labels import lines_of
from amlops.graph.mermaid import escape, fenced, identifiers, to_mermaid
from amlops.graph.model import Graph

from .samples import hostile_graph


@pytest.fixture(scope="session")
def graphs(real_graphs: dict[str, Graph]) -> dict[str, Graph]:
    return {**real_graphs, "hostile": hostile_graph()}


# Negative controls: diagrams Mermaid must refuse, so that a parser accepting anything fails the tests.
BROKEN = {
    "unquoted brackets": "flowchart LR\n  n_a[call(x)]\n",
    "dangling edge": 'flowchart LR\n  n_a["a"] -->\n',
    "unclosed subgraph label": 'flowchart LR\n  subgraph c_a["x\n  end\n',
}


@pytest.fixture(scope="session")
def parsed(graphs: dict[str, Graph]) -> dict[str, dict[str, Any]]:
    """Mermaid's parser's view of every diagram and negative control (one Node process for all)."""
    texts = {name: to_mermaid(graph) for name, graph in graphs.items()} | BROKEN
    results = parse(list(texts.values()))
    return dict(zip(texts, results, strict=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text (with) [brackets] {and} ; %", "plain text (with) [brackets] {and} ; %"),
        ('"', "#quot;"),
        ("#", "#35;"),
        ("a & b", "a #38; b"),
        ("<br>", "#60;br#62;"),
        ("a|b", "a#124;b"),
        ("`x`", "#96;x#96;"),
        ("tab\there", "tab#9;here"),
        ("é →", "é →"),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


def test_identifiers_are_plain_unique_and_never_keywords() -> None:
    ids = identifiers(hostile_graph())
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[cn]_[A-Za-z0-9_]+", name) for name in ids.values()), ids
    assert ids["end/subgraph x/a_b"] != ids["end/subgraph x/a/b"]  # both sanitise to the same letters


STATEMENT = re.compile(
    r"%% [^\n]*"
    r"|flowchart (TB|LR)"
    r'|( {2})+subgraph [cn]_\w+\["[^"]*"\]'
    r"|( {2})+direction (TB|LR)"
    r"|( {2})+end"
    r'|( {2})+n_\w+(\["[^"]*"\]|\(\["[^"]*"\]\)|\[\["[^"]*"\]\])'
    r'|  [cn]_\w+ -->(\|"[^"|]*"\|)? [cn]_\w+'
    r"|  classDef \w+ [^\n]+"
    r"|  class [cn]_\w+(,[cn]_\w+)* \w+"
)


def test_every_line_is_a_statement_we_mean_to_write(graphs: dict[str, Graph]) -> None:
    for name, graph in graphs.items():
        text = to_mermaid(graph)
        assert text.endswith("\n")
        lines = text.splitlines()
        assert lines[1] == f"flowchart {graph.direction}", name
        depth = 0
        for line in lines:
            assert STATEMENT.fullmatch(line), f"{name}: {line!r}"
            depth += line.lstrip().startswith("subgraph ") - (line.strip() == "end")
            assert depth >= 0, name
        assert depth == 0, name
        assert "\n" not in graph.title or "%%" in lines[0]


def test_a_label_is_its_lines_joined_and_escaped() -> None:
    graph = hostile_graph()
    text = to_mermaid(graph)
    node = graph.node("end/subgraph x/-->")
    expected = "<br/>".join(escape(line) for _, line in lines_of(node))
    assert f'{identifiers(graph)[node.id]}["{expected}"]' in text
    assert "<b>" not in text
    assert '"hi"' not in text


def test_the_fence_is_a_mermaid_block() -> None:
    graph = hostile_graph()
    assert fenced(graph) == f"```mermaid\n{to_mermaid(graph)}```\n"


def test_mermaid_parses_every_diagram_as_a_flowchart(
    graphs: dict[str, Graph], parsed: dict[str, dict[str, Any]]
) -> None:
    failed = {name: parsed[name].get("error") for name in graphs if not parsed[name]["ok"]}
    assert not failed
    assert {parsed[name]["type"] for name in graphs} == {"flowchart-v2"}


SHAPES = {"step": "square", "empty": "square", "input": "stadium", "output": "stadium", "call": "subroutine"}


def test_mermaid_reads_back_exactly_the_graph(
    graphs: dict[str, Graph], parsed: dict[str, dict[str, Any]]
) -> None:
    for name, graph in graphs.items():
        result = parsed[name]
        assert result["ok"], name
        ids = identifiers(graph)
        subgraphs = {s["id"]: s for s in result["subgraphs"]}
        assert set(subgraphs) == {ids[c.id] for c in graph.clusters}, name
        for cluster in graph.clusters:
            seen = subgraphs[ids[cluster.id]]
            assert seen["lines"] == [text for _, text in lines_of(cluster)], (name, cluster.id)
            assert seen["dir"] == cluster.direction, (name, cluster.id)
            assert sorted(seen["nodes"]) == sorted(ids[c] for c in graph.children(cluster.id)), (
                name,
                cluster.id,
            )
        vertices = {k: v for k, v in result["vertices"].items() if k not in subgraphs}
        assert set(vertices) == {ids[n.id] for n in graph.nodes}, name
        for node in graph.nodes:
            seen = vertices[ids[node.id]]
            assert seen["lines"] == [text for _, text in lines_of(node)], (name, node.id)
            assert seen["shape"] == SHAPES[node.kind], (name, node.id)
        expected = [[ids[e.source], ids[e.target], [e.label] if e.label else []] for e in graph.edges]
        assert result["edges"] == expected, name


def test_the_hostile_text_survives_unchanged(parsed: dict[str, dict[str, Any]]) -> None:
    ids = identifiers(hostile_graph())
    vertex = parsed["hostile"]["vertices"][ids["end/subgraph x/-->"]]
    assert " ".join(vertex["lines"]).startswith('say "hi" #1 & <b>bold</b> | pipe;')
    assert 'if: x == "y"' in vertex["lines"]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_parser_refuses_broken_diagrams(parsed: dict[str, dict[str, Any]], name: str) -> None:
    assert parsed[name]["ok"] is False
    assert re.search(r"Parse error|Lexical error", parsed[name]["error"]), parsed[name]["error"]
