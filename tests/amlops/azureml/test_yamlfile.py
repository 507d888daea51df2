"""YAML loading that keeps line numbers for error messages."""

from pathlib import Path

import pytest

from amlops.azureml.errors import PipelineSpecError
from amlops.azureml.yamlfile import YamlMap, load_yaml, parse_yaml


def test_mappings_remember_their_lines() -> None:
    text = "type: pipeline\njobs:\n  train:\n    command: echo\n\n  test:\n    command: echo\n"
    loaded = parse_yaml(text, file=Path("job.yml"))
    assert isinstance(loaded, YamlMap)
    assert loaded.line == 1
    assert loaded.line_of("jobs") == 2
    assert loaded["jobs"].line_of("test") == 6
    assert loaded["jobs"]["test"].line == 7
    assert loaded["jobs"].line_of("absent") == loaded["jobs"].line


def test_non_string_keys_become_strings() -> None:
    loaded = parse_yaml("on: 1\n2: two\n", file=Path("x.yml"))
    assert loaded == {"True": 1, "2": "two"}


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    with pytest.raises(PipelineSpecError) as caught:
        parse_yaml("a: 1\nb: 2\na: 3\n", file=Path("dup.yml"))
    assert caught.value.line == 3
    assert "duplicate key 'a' (first on line 1)" in str(caught.value)
    assert str(caught.value).startswith("dup.yml:3: ")


def test_syntax_errors_name_file_and_line() -> None:
    with pytest.raises(PipelineSpecError) as caught:
        parse_yaml("a:\n  b: [1, 2\nc: 3\n", file=Path("bad.yml"))
    assert caught.value.file == Path("bad.yml")
    assert caught.value.line == 3
    assert "invalid YAML" in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineSpecError, match="file not found"):
        load_yaml(tmp_path / "nope.yml")
