"""Load YAML remembering where each mapping and key came from, so errors can say `file:line`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from amlops.azureml.errors import PipelineSpecError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlMap(dict[str, Any]):
    """A mapping loaded from YAML: `line` is where it starts, `key_lines[key]` where each key is (1-based)."""

    line: int | None = None
    key_lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key: str) -> int | None:
        """The line of `key` in its file, else the line of the mapping itself."""
        return self.key_lines.get(key, self.line)


class _LineLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            # YAML 1.1 reads `on:`/`yes:` as booleans and `1:` as an int; the schemas only use string keys.
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first on line {result.key_lines[key]})",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, *, file: Path) -> Any:
    """Parse YAML text; syntax errors become `PipelineSpecError` naming `file` and the 1-based line."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        raise PipelineSpecError(f"invalid YAML: {problem}", file=file, line=line) from exc
    except yaml.YAMLError as exc:
        raise PipelineSpecError(f"invalid YAML: {exc}", file=file) from exc


def load_yaml(path: Path) -> Any:
    """Read and parse a YAML file; a missing file or bad syntax raises `PipelineSpecError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PipelineSpecError("file not found", file=path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineSpecError(f"cannot read file: {exc}", file=path) from exc
    return parse_yaml(text, file=path)
