"""A `Graph` as Mermaid flowchart text, which GitHub and Azure DevOps markdown render in a mermaid block.

Clusters become `subgraph`s (with their own `direction`), nodes quoted labels, edges `-->` (labelled with
`-->|"..."|`). A cluster's condition goes on the dependency edges into it when it has some (a subgraph's
title has little room), else into its title. The first line is an `%%{init}%%` directive: labels may be
as wide as our wrapped lines, and titles get the room under them that Mermaid does not reserve itself
(`subGraphTitleMargin`; renderers that do not know a setting ignore it).

Identifiers are made from the graph's ids (`c_` clusters, `n_` nodes, letters, digits and `_` only), so no
name from a pipeline can end a statement or be a keyword. Every label is quoted, which protects brackets,
`|`, `;` and `%%`; what quoting does not protect is written as an entity code, which Mermaid turns back into
the character: `"` as `#quot;`, `<`, `>` and `&` (HTML in labels) and a `#` that would start an entity code
(`#35;`), a backtick opening a label (a markdown string: `#96;`); control characters become spaces. Only
those, because Mermaid loses entity codes in lines it wraps itself. Wrapped lines are joined with `<br/>`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from amlops.graph.labels import lines_of, wrap
from amlops.graph.model import Cluster, Edge, Graph, Node

_ESCAPED = frozenset("&<>")
_ENTITY_LIKE = re.compile(r"#(?=\w+;)")
WRAPPING_WIDTH = 400
"""Pixels Mermaid may make a label line before wrapping it: more than a line of `labels.LINE_CHARS`
characters, so that Mermaid keeps the lines as written."""
TITLE_LINE = 22
"""Pixels a subgraph title line takes: the room kept under titles (Mermaid does not make it)."""
_SHAPES = {
    "step": ('["', '"]'),
    "empty": ('["', '"]'),
    "input": ('(["', '"])'),
    "output": ('(["', '"])'),
    "call": ('[["', '"]]'),
}
_CLASSES = {
    "conditional": "stroke-dasharray: 5 3",
    "io": "fill:#eef7ee,stroke:#4f8a4f",
    "empty": "fill:#f6f6f6,stroke:#bbbbbb,color:#777777",
}


def escape(text: str) -> str:
    """`text` safe inside a quoted Mermaid label (see the module's docstring)."""
    out = []
    for position, char in enumerate(text):
        if char == '"':
            out.append("#quot;")
        elif char in _ESCAPED or (char == "#" and _ENTITY_LIKE.match(text, position)):
            out.append(f"#{ord(char)};")
        elif char < " " or char == "\x7f":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def _joined(lines: list[str]) -> str:
    text = "<br/>".join(escape(line) for line in lines)
    return "#96;" + text[1:] if text.startswith("`") else text


def label(item: Node | Cluster) -> str:
    """The item's lines (label, details, `if: condition`), escaped and joined with `<br/>`."""
    return _joined([text for _, text in lines_of(item)])


def conditions_on_edges(graph: Graph) -> set[str]:
    """The clusters whose condition is drawn on the dependency edges into them rather than in their title
    (a subgraph's title has little room, and the condition is what decides whether the arrow is taken)."""
    return {
        c.id
        for c in graph.clusters
        if c.condition is not None and any(e.target == c.id and e.kind == "depends" for e in graph.edges)
    }


def title_lines(graph: Graph, cluster: Cluster, moved: set[str] | None = None) -> list[str]:
    """A subgraph's title: the cluster's lines, without the condition when it is drawn on the edges."""
    moved = conditions_on_edges(graph) if moved is None else moved
    shown = replace(cluster, condition=None) if cluster.id in moved else cluster
    return [text for _, text in lines_of(shown)]


def edge_lines(graph: Graph, edge: Edge, moved: set[str] | None = None) -> list[str]:
    """An edge's label lines: its own label, then `if: condition` of the cluster it leads into (see
    `conditions_on_edges`)."""
    moved = conditions_on_edges(graph) if moved is None else moved
    lines = wrap(edge.label) if edge.label else []
    if edge.kind == "depends" and edge.target in moved:
        lines += wrap(f"if: {graph.cluster(edge.target).condition}")
    return lines


def identifiers(graph: Graph) -> dict[str, str]:
    """A Mermaid identifier for every node and cluster id: readable, unique, never a keyword."""
    taken: set[str] = set()
    found: dict[str, str] = {}
    for item in graph.items():
        prefix = "c_" if isinstance(item, Cluster) else "n_"
        base = prefix + re.sub(r"[^A-Za-z0-9_]", "_", item.id)
        name, number = base, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        taken.add(name)
        found[item.id] = name
    return found


def _directive(graph: Graph, moved: set[str]) -> str:
    """Mermaid settings for this diagram: labels as wide as our lines, and room under the longest title."""
    title = max((len(title_lines(graph, c, moved)) for c in graph.clusters), default=1)
    settings = {
        "flowchart": {"wrappingWidth": WRAPPING_WIDTH, "subGraphTitleMargin": {"top": 0, "bottom": 0}}
    }
    settings["flowchart"]["subGraphTitleMargin"]["bottom"] = TITLE_LINE * (title - 1)
    return "%%{init: " + json.dumps(settings) + "}%%"


def to_mermaid(graph: Graph) -> str:
    """The flowchart text (no markdown fence), ending with a newline."""
    ids = identifiers(graph)
    moved = conditions_on_edges(graph)
    about = " ".join(f"{graph.title} ({graph.source})".split())
    lines = [_directive(graph, moved), f"%% {about}, drawn by amlops graph", f"flowchart {graph.direction}"]

    def emit(parent: str | None, depth: int) -> None:
        indent = "  " * depth
        for child in graph.children(parent):
            if graph.is_cluster(child):
                cluster = graph.cluster(child)
                lines.append(
                    f'{indent}subgraph {ids[child]}["{_joined(title_lines(graph, cluster, moved))}"]'
                )
                lines.append(f"{indent}  direction {cluster.direction}")
                emit(child, depth + 1)
                lines.append(f"{indent}end")
            else:
                node = graph.node(child)
                opening, closing = _SHAPES[node.kind]
                lines.append(f"{indent}{ids[child]}{opening}{label(node)}{closing}")

    emit(None, 1)
    for edge in graph.edges:
        text = edge_lines(graph, edge, moved)
        arrow = f'-->|"{_joined(text)}"|' if text else "-->"
        lines.append(f"  {ids[edge.source]} {arrow} {ids[edge.target]}")
    members: dict[str, list[str]] = {name: [] for name in _CLASSES}
    for node in graph.nodes:
        if node.condition is not None:
            members["conditional"].append(ids[node.id])
        if node.kind in ("input", "output"):
            members["io"].append(ids[node.id])
        if node.kind == "empty":
            members["empty"].append(ids[node.id])
    for name, style in _CLASSES.items():
        if members[name]:
            lines.append(f"  classDef {name} {style}")
            lines.append(f"  class {','.join(members[name])} {name}")
    return "\n".join(lines) + "\n"


def fenced(graph: Graph) -> str:
    """The flowchart in a markdown ```mermaid block."""
    return f"```mermaid\n{to_mermaid(graph)}```\n"
