"""Mermaid output: every statement is one of the forms we mean to write, and Mermaid's own parser
(tools/mermaid) reads each diagram back into exactly the graph's nodes, clusters, edges and label text,
for the repository's pipelines and for a graph whose names are made to break a careless writer."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mermaid_parser import parse

from amlops.graph.labels import lines_of, wrap
from amlops.graph.mermaid import escape, fenced, identifiers, to_mermaid
from amlops.graph.model import Cluster, Edge, Graph

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
        (
            "plain (with) [brackets] {and} | pipes; 100% %% `ticks`",
            "plain (with) [brackets] {and} | pipes; 100% %% `ticks`",
        ),
        ('"', "#quot;"),
        ("#1 and #quot; and #35;", "#1 and #35;quot; and #35;35;"),
        ("a & b", "a #38; b"),
        ("<br>", "#60;br#62;"),
        ("tab\there", "tab here"),
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
    r"%%\{init: \{[^\n]*\}%%"
    r"|%% [^\n]*"
    r"|flowchart (TB|LR)"
    r'|( {2})+subgraph [cn]_\w+\["[^"]*"\]'
    r"|( {2})+direction (TB|LR)"
    r"|( {2})+end"
    r'|( {2})+n_\w+(\["[^"]*"\]|\(\["[^"]*"\]\)|\[\["[^"]*"\]\])'
    r'|  [cn]_\w+ -->(\|"[^"]*"\|)? [cn]_\w+'
    r"|  classDef \w+ [^\n]+"
    r"|  class [cn]_\w+(,[cn]_\w+)* \w+"
)


def test_every_line_is_a_statement_we_mean_to_write(graphs: dict[str, Graph]) -> None:
    for name, graph in graphs.items():
        text = to_mermaid(graph)
        assert text.endswith("\n")
        lines = text.splitlines()
        assert lines[0].startswith("%%{init: "), name
        assert lines[2] == f"flowchart {graph.direction}", name
        depth = 0
        for line in lines:
            assert STATEMENT.fullmatch(line), f"{name}: {line!r}"
            depth += line.lstrip().startswith("subgraph ") - (line.strip() == "end")
            assert depth >= 0, name
        assert depth == 0, name


def test_a_backtick_opening_a_label_is_escaped_and_only_that_one() -> None:
    graph = hostile_graph()
    text = to_mermaid(graph)
    assert f'{identifiers(graph)["tick"]}["#96;starts` with a tick"]' in text


def test_a_label_is_its_lines_joined_and_escaped() -> None:
    graph = hostile_graph()
    text = to_mermaid(graph)
    node = graph.node("end/subgraph x/-->")
    expected = "<br/>".join(escape(line) for _, line in lines_of(node))
    assert f'{identifiers(graph)[node.id]}["{expected}"]' in text
    assert "<b>" not in text
    assert '"hi"' not in text


def test_a_stage_condition_goes_on_the_arrow_into_it(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["azure-devops/monitor.yml"]
    text = to_mermaid(graph)
    ids = identifiers(graph)
    (arrow,) = [line for line in text.splitlines() if line.startswith(f"  {ids['monitor']} -->")]
    assert arrow.startswith(f'  {ids["monitor"]} -->|"if: and(succeeded(),<br/>')
    assert arrow.endswith(f'"| {ids["retrain"]}')
    (title,) = [line for line in text.splitlines() if line.strip().startswith(f"subgraph {ids['retrain']}[")]
    assert "if:" not in title


def test_titles_get_room_for_their_lines(real_graphs: dict[str, Graph]) -> None:
    for name, graph in real_graphs.items():
        directive = to_mermaid(graph).splitlines()[0]
        settings = json.loads(directive.removeprefix("%%{init: ").removesuffix("}%%"))
        tallest = max((len(expected_title(graph, c)) for c in graph.clusters), default=1)
        assert settings == {
            "flowchart": {
                "wrappingWidth": 400,
                "subGraphTitleMargin": {"top": 0, "bottom": 22 * (tallest - 1)},
            }
        }, name


def test_the_fence_is_a_mermaid_block() -> None:
    graph = hostile_graph()
    assert fenced(graph) == f"```mermaid\n{to_mermaid(graph)}```\n"


def test_mermaid_parses_every_diagram_as_a_flowchart(
    graphs: dict[str, Graph], parsed: dict[str, dict[str, Any]]
) -> None:
    failed = {name: parsed[name].get("error") for name in graphs if not parsed[name]["ok"]}
    assert not failed
    assert {parsed[name]["type"] for name in graphs} == {"flowchart-v2"}


def expected_title(graph: Graph, cluster: Cluster) -> list[str]:
    """A subgraph's title: the cluster's lines, less its condition when a dependency edge leads into it."""
    entered = any(e.target == cluster.id and e.kind == "depends" for e in graph.edges)
    return [text for kind, text in lines_of(cluster) if not (entered and kind == "condition")]


def expected_edge(graph: Graph, edge: Edge) -> list[str]:
    """An edge's label: its own, then the condition of the cluster a dependency edge leads into."""
    lines = wrap(edge.label) if edge.label else []
    if edge.kind == "depends" and graph.is_cluster(edge.target):
        condition = graph.cluster(edge.target).condition
        if condition is not None:
            lines += wrap(f"if: {condition}")
    return lines


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
            assert seen["lines"] == expected_title(graph, cluster), (name, cluster.id)
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
        expected = [[ids[e.source], ids[e.target], expected_edge(graph, e)] for e in graph.edges]
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
