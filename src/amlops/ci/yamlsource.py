"""YAML loading that remembers where every node came from.

Mappings load as `YMap` (a dict) and sequences as `YSeq` (a list); both carry `loc` (their own place) and
`locs` (the place of each value, by key or index). Scalars stay plain Python values. Only `true`/`false`
are booleans (YAML 1.2 core schema, as Azure DevOps and GitHub read it: `yes`, `on` are strings).
Duplicate keys are an error, as they are on Azure DevOps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from amlops.ci.errors import Loc, PipelineError


class YMap(dict):
    """A mapping with the location of itself (`loc`) and of each value (`locs[key]`)."""

    __slots__ = ("loc", "locs")

    def __init__(self, *args: Any, loc: Loc | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loc = loc
        self.locs: dict[Any, Loc] = {}

    def loc_of(self, key: Any) -> Loc | None:
        return self.locs.get(key, self.loc)


class YSeq(list):
    """A sequence with the location of itself (`loc`) and of each item (`locs[i]`)."""

    __slots__ = ("loc", "locs")

    def __init__(self, *args: Any, loc: Loc | None = None) -> None:
        super().__init__(*args)
        self.loc = loc
        self.locs: list[Loc | None] = []

    def loc_of(self, index: int) -> Loc | None:
        return self.locs[index] if 0 <= index < len(self.locs) else self.loc


def loc_of(node: Any) -> Loc | None:
    return getattr(node, "loc", None)


class _Resolver(yaml.resolver.BaseResolver):
    pass


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Loader(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if tag.endswith(":null"):
        return None
    if tag.endswith(":int"):
        return int(value, 0) if value.startswith(("0x", "0o")) else int(value)
    if tag.endswith(":float"):
        low = value.lower()
        if low.endswith("inf"):
            return float("-inf") if low.startswith("-") else float("inf")
        if low.endswith("nan"):
            return float("nan")
        return float(value)
    return value


class _Converter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.seen: set[int] = set()

    def loc(self, node: yaml.Node) -> Loc:
        return Loc(self.file, node.start_mark.line + 1)

    def convert(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            if id(node) in self.seen:
                raise PipelineError(
                    "YAML aliases (*name) are not supported by Azure Pipelines", self.loc(node)
                )
            self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            seq = YSeq(loc=self.loc(node))
            for item in node.value:
                seq.append(self.convert(item))
                seq.locs.append(self.loc(item))
            return seq
        if isinstance(node, yaml.MappingNode):
            mapping = YMap(loc=self.loc(node))
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or (
                    isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style
                ):
                    raise PipelineError("YAML merge keys (<<) are not supported", self.loc(key_node))
                key = self.convert(key_node)
                if isinstance(key, (dict, list)):
                    raise PipelineError("a mapping key must be a plain value", self.loc(key_node))
                if key in mapping:
                    raise PipelineError(f"duplicate key '{key}' in this mapping", self.loc(key_node))
                mapping[key] = self.convert(value_node)
                mapping.locs[key] = self.loc(key_node)
            return mapping
        raise PipelineError(f"unsupported YAML node {node!r}", self.loc(node))


def load_text(text: str, file: str) -> Any:
    """Parse one YAML document; syntax errors become `PipelineError` at the offending line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or "invalid YAML"
        hint = ""
        if (
            "indent" in problem
            or "mapping values are not allowed" in problem
            or "expected <block end>" in problem
        ):
            hint = " (check the indentation)"
        context = f" {exc.context}" if exc.context else ""
        raise PipelineError(f"YAML syntax error: {problem}{context}{hint}", Loc(file, line)) from None
    except yaml.YAMLError as exc:
        raise PipelineError(f"YAML syntax error: {exc}", Loc(file, 1)) from None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _Converter(file).convert(node)


def load_file(path: Path, shown_as: str) -> Any:
    """Load `path`; locations in the result name it as `shown_as`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"file not found: {shown_as}") from None
    except UnicodeDecodeError:
        raise PipelineError(f"{shown_as} is not UTF-8 text") from None
    return load_text(text, shown_as)


def plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists (for output and comparison)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
