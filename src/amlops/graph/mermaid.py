"""A `Graph` as Mermaid flowchart text, which GitHub and Azure DevOps markdown render in a mermaid block.

Clusters become `subgraph`s (with their own `direction`), nodes quoted labels, edges `-->` (labelled with
`-->|"..."|`). Identifiers are made from the graph's ids (`c_` clusters, `n_` nodes, letters, digits and
`_` only), so no name from a pipeline can end a statement or be a keyword. Every label is quoted, which
protects brackets, `;` and `%%`, and escaped: `"` as `#quot;`, and `#` (which starts an entity code), `&`,
`<`, `>` (HTML in labels), `` ` `` (a markdown string), `|` (an edge label's end) and control characters
as numeric codes (`#35;`), which Mermaid turns back into the characters; wrapped lines are joined with
`<br/>`.
"""

from __future__ import annotations

import re

from amlops.graph.labels import lines_of
from amlops.graph.model import Cluster, Graph, Node

_ESCAPED = frozenset("#&<>|`")
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
    """`text` safe inside a quoted Mermaid label: the special characters as entity codes."""
    out = []
    for char in text:
        if char == '"':
            out.append("#quot;")
        elif char in _ESCAPED or char < " ":
            out.append(f"#{ord(char)};")
        else:
            out.append(char)
    return "".join(out)


def label(item: Node | Cluster) -> str:
    """The item's lines (label, details, `if: condition`), escaped and joined with `<br/>`."""
    return "<br/>".join(escape(text) for _, text in lines_of(item))


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


def to_mermaid(graph: Graph) -> str:
    """The flowchart text (no markdown fence), ending with a newline."""
    ids = identifiers(graph)
    lines = [f"%% {graph.title} ({graph.source}), drawn by amlops graph", f"flowchart {graph.direction}"]

    def emit(parent: str | None, depth: int) -> None:
        indent = "  " * depth
        for child in graph.children(parent):
            if graph.is_cluster(child):
                cluster = graph.cluster(child)
                lines.append(f'{indent}subgraph {ids[child]}["{label(cluster)}"]')
                lines.append(f"{indent}  direction {cluster.direction}")
                emit(child, depth + 1)
                lines.append(f"{indent}end")
            else:
                node = graph.node(child)
                opening, closing = _SHAPES[node.kind]
                lines.append(f"{indent}{ids[child]}{opening}{label(node)}{closing}")

    emit(None, 1)
    for edge in graph.edges:
        arrow = f'-->|"{escape(edge.label)}"|' if edge.label else "-->"
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
