"""YAML loading that remembers where every node came from: the one loader of amlops (the CI runner, the
Azure ML executor) and of the template tests.

Mappings load as `YMap` (a dict) and sequences as `YSeq` (a list); both carry `loc` (their own place) and
`locs` (the place of each value, by key or index); `line` / `line_of(key)` give the 1-based line numbers.
Scalars stay plain Python values. Duplicate keys are an error (naming the line of the first one); so is bad
syntax, at the offending line. How scalars and keys are read is the `Schema`'s:

- `PIPELINES`: the YAML 1.2 core schema, as Azure Pipelines and GitHub Actions read it (only `true`/`false`
  are booleans: `yes`, `on` are strings; `2024-01-01` is a string), without anchors, aliases or merge keys
  (Azure Pipelines has none).
- `GITHUB`: the same core schema with anchors and aliases, which GitHub Actions reads (no merge keys).
- `AZURE_ML`: PyYAML's safe schema (YAML 1.1), as azure-ai-ml reads job and component files
  (`yaml.safe_load`), anchors and merge keys included; keys become strings.

Where no line is needed (which dialect a file is in, `amlops graph`'s reader of README diagrams),
`safe_load(text)` is `yaml.safe_load` through libyaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from amlops.errors import ConfigError

# libyaml's loader when PyYAML was built with it (several times faster), else the pure-Python one; both
# read the same YAML 1.1 safe schema.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` (plain values, no lines), with libyaml when it is there. Raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=_SAFE_LOADER)


@dataclass(frozen=True)
class Loc:
    """A place in a YAML file: `file` as shown to people (relative to the repository), 1-based `line`.

    `chain` holds the places that led here (the call sites of templates), outermost first.
    """

    file: str
    line: int
    chain: tuple[Loc, ...] = ()

    def __str__(self) -> str:
        return " -> ".join(f"{c.file}:{c.line}" for c in (*self.chain, self))

    def within(self, chain: tuple[Loc, ...]) -> Loc:
        return Loc(self.file, self.line, chain)


class YamlError(ConfigError):
    """A YAML file cannot be read: missing, not UTF-8, bad syntax, a duplicate key, a construct the schema
    refuses. The message starts with `file:line` (or `file` when no line applies)."""

    def __init__(self, problem: str, file: str, line: int | None = None) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {problem}" if line is not None else f"{file}: {problem}")

    @property
    def loc(self) -> Loc | None:
        return Loc(self.file, self.line) if self.line is not None else None


class YMap(dict):
    """A mapping with the location of itself (`loc`) and of each value (`locs[key]`: where its key is)."""

    __slots__ = ("loc", "locs")

    def __init__(self, *args: Any, loc: Loc | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loc = loc
        self.locs: dict[Any, Loc] = {}

    def loc_of(self, key: Any) -> Loc | None:
        return self.locs.get(key, self.loc)

    @property
    def line(self) -> int | None:
        return self.loc.line if self.loc is not None else None

    def line_of(self, key: Any) -> int | None:
        """The line of `key`, else the line of the mapping itself (None for a mapping built in code)."""
        loc = self.loc_of(key)
        return loc.line if loc is not None else None


class YSeq(list):
    """A sequence with the location of itself (`loc`) and of each item (`locs[i]`)."""

    __slots__ = ("loc", "locs")

    def __init__(self, *args: Any, loc: Loc | None = None) -> None:
        super().__init__(*args)
        self.loc = loc
        self.locs: list[Loc | None] = []

    def loc_of(self, index: int) -> Loc | None:
        return self.locs[index] if 0 <= index < len(self.locs) else self.loc

    @property
    def line(self) -> int | None:
        return self.loc.line if self.loc is not None else None


def loc_of(node: Any) -> Loc | None:
    return getattr(node, "loc", None)


class _CoreResolver(yaml.resolver.BaseResolver):
    pass


_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _CoreLoader(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _CoreResolver
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _CoreResolver.__init__(self)


def _core_scalar(node: yaml.ScalarNode) -> Any:
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


@dataclass(frozen=True)
class Schema:
    """How a file's scalars and keys are read (module doc): `loader` composes the node tree; `core` reads
    scalars by the YAML 1.2 core schema (else by the loader's own YAML 1.1 safe schema, merge keys included);
    `aliases` allows anchors and aliases; `string_keys` turns every key into a string."""

    name: str
    loader: Callable[[str], Any]
    aliases: bool
    string_keys: bool
    core: bool


PIPELINES = Schema("pipelines", _CoreLoader, aliases=False, string_keys=False, core=True)
GITHUB = Schema("github", _CoreLoader, aliases=True, string_keys=False, core=True)
AZURE_ML = Schema("azure-ml", _SAFE_LOADER, aliases=True, string_keys=True, core=False)


class _Converter:
    def __init__(self, file: str, schema: Schema, loader: Any) -> None:
        self.file = file
        self.schema = schema
        self.loader = loader
        self.seen: set[int] = set()
        self.open: set[int] = set()

    def loc(self, node: yaml.Node) -> Loc:
        return Loc(self.file, node.start_mark.line + 1)

    def error(self, problem: str, node: yaml.Node) -> YamlError:
        return YamlError(problem, self.file, node.start_mark.line + 1)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if self.schema.core:
            return _core_scalar(node)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise self.error(f"invalid YAML: {exc.problem or exc}", node) from None

    def convert(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.open:
            raise self.error("a YAML alias refers to a node that contains it", node)
        if id(node) in self.seen and not self.schema.aliases:
            raise self.error("YAML aliases (*name) are not supported in pipeline files", node)
        self.seen.add(id(node))
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node)
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node)
        finally:
            self.open.discard(id(node))
        raise self.error(f"unsupported YAML node {node!r}", node)

    def sequence(self, node: yaml.SequenceNode) -> YSeq:
        seq = YSeq(loc=self.loc(node))
        for item in node.value:
            seq.append(self.convert(item))
            seq.locs.append(self.loc(item))
        return seq

    def mapping(self, node: yaml.MappingNode) -> YMap:
        if not self.schema.core:
            try:
                self.loader.flatten_mapping(node)  # merge keys (<<: *base)
            except yaml.MarkedYAMLError as exc:
                raise self.error(f"invalid YAML: {exc.problem or exc}", node) from None
        mapping = YMap(loc=self.loc(node))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style
            ):
                raise self.error("YAML merge keys (<<) are not supported", key_node)
            key = self.convert(key_node)
            if self.schema.string_keys:
                key = str(key)  # YAML 1.1 reads `on:`/`yes:` as booleans and `1:` as an int
            elif isinstance(key, (dict, list)):
                raise self.error("a mapping key must be a plain value", key_node)
            if key in mapping:
                first = mapping.locs[key].line
                raise self.error(f"duplicate key '{key}' (first on line {first})", key_node)
            mapping[key] = self.convert(value_node)
            mapping.locs[key] = self.loc(key_node)
        return mapping


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    hint = ""
    if any(text in problem for text in ("indent", "mapping values are not allowed", "expected <block end>")):
        hint = " (check the indentation)"
    context = f" {exc.context}" if exc.context else ""
    line = mark.line + 1 if mark is not None else 1
    return YamlError(f"invalid YAML: {problem}{context}{hint}", file, line)


def load_text(text: str, file: str, *, schema: Schema = PIPELINES) -> Any:
    """Parse one YAML document read with `schema`; locations name `file`. Raises `YamlError`."""
    loader = schema.loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _Converter(file, schema, loader).convert(node)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", file, 1) from None
    finally:
        loader.dispose()


def load_file(path: Path, shown_as: str | None = None, *, schema: Schema = PIPELINES) -> Any:
    """Load `path` with `schema`; locations (and errors) name it as `shown_as` (default: the path)."""
    shown = shown_as if shown_as is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlError("file not found", shown) from None
    except UnicodeDecodeError:
        raise YamlError("not UTF-8 text", shown) from None
    except OSError as exc:
        raise YamlError(f"cannot read the file: {exc.strerror or exc}", shown) from None
    return load_text(text, shown, schema=schema)


def plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists (for output and comparison)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
