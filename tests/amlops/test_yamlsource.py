"""The one YAML loader that keeps line numbers, in its two schemas (pipelines, Azure ML)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from amlops.azureml.errors import PipelineSpecError
from amlops.azureml.spec import load_yaml
from amlops.yamlsource import (
    AZURE_ML,
    GITHUB,
    PIPELINES,
    Loc,
    Schema,
    YamlError,
    YMap,
    YSeq,
    load_file,
    load_text,
    plain,
    safe_load,
)

BOTH = pytest.mark.parametrize("schema", [PIPELINES, AZURE_ML], ids=lambda s: s.name)


@BOTH
def test_mappings_and_sequences_remember_their_lines(schema: Schema) -> None:
    text = "type: pipeline\njobs:\n  train:\n    command: echo\n\n  test:\n    steps:\n    - a\n    - b\n"
    loaded = load_text(text, "job.yml", schema=schema)
    assert isinstance(loaded, YMap)
    assert loaded.loc == Loc("job.yml", 1)
    assert (loaded.line, loaded.line_of("jobs")) == (1, 2)
    assert loaded["jobs"].line_of("test") == 6
    assert loaded["jobs"]["test"].line == 7
    assert loaded["jobs"].line_of("absent") == loaded["jobs"].line
    steps = loaded["jobs"]["test"]["steps"]
    assert isinstance(steps, YSeq)
    assert [steps.loc_of(0).line, steps.loc_of(1).line] == [8, 9]


def test_a_mapping_built_in_code_has_no_lines() -> None:
    assert YMap({"a": 1}).line_of("a") is None


def test_pipelines_read_the_yaml_1_2_core_schema() -> None:
    loaded = load_text("on: yes\nwhen: 2024-01-01\nn: 1e3\nhex: 0x1F\nt: True\nnothing: ~\n1: one\n", "p.yml")
    assert loaded == {
        "on": "yes",
        "when": "2024-01-01",
        "n": 1000.0,
        "hex": 31,
        "t": True,
        "nothing": None,
        1: "one",
    }


def test_azure_ml_reads_as_azure_ai_ml_does_with_string_keys() -> None:
    loaded = load_text("on: yes\nwhen: 2024-01-01\nn: 1e3\n1: one\n", "job.yml", schema=AZURE_ML)
    assert loaded == {"True": True, "when": datetime.date(2024, 1, 1), "n": "1e3", "1": "one"}


def test_azure_ml_allows_anchors_and_merge_keys() -> None:
    text = "base: &base\n  image: python\n  count: 1\njob:\n  <<: *base\n  name: train\ncopy: *base\n"
    loaded = load_text(text, "job.yml", schema=AZURE_ML)
    assert plain(loaded["job"]) == {"image": "python", "count": 1, "name": "train"}
    assert loaded["copy"] == {"image": "python", "count": 1}
    assert loaded["job"].line_of("name") == 6


def test_github_reads_the_core_schema_with_anchors_but_no_merge_keys() -> None:
    text = "on: push\nenv: &env\n  A: yes\njobs:\n  b:\n    env: *env\n"
    loaded = load_text(text, "w.yml", schema=GITHUB)
    assert plain(loaded) == {"on": "push", "env": {"A": "yes"}, "jobs": {"b": {"env": {"A": "yes"}}}}
    assert loaded["jobs"].line_of("b") == 5
    with pytest.raises(YamlError) as caught:
        load_text("base: &b\n  x: 1\njob:\n  <<: *b\n", "w.yml", schema=GITHUB)
    assert (caught.value.line, caught.value.problem) == (4, "YAML merge keys (<<) are not supported")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("base: &b\n  x: 1\ncopy: *b\n", 1, "YAML aliases (*name) are not supported in pipeline files"),
        ("base: &b\n  x: 1\njob:\n  <<: *b\n", 4, "YAML merge keys (<<) are not supported"),
        ("? [a]\n: 1\n", 1, "a mapping key must be a plain value"),
    ],
)
def test_pipelines_refuse_what_azure_pipelines_does_not_read(text: str, line: int, message: str) -> None:
    with pytest.raises(YamlError) as caught:
        load_text(text, "p.yml")
    assert (caught.value.line, caught.value.problem) == (line, message)


@BOTH
def test_duplicate_keys_are_refused_with_both_lines(schema: Schema) -> None:
    with pytest.raises(YamlError) as caught:
        load_text("a: 1\nb: 2\na: 3\n", "dup.yml", schema=schema)
    assert caught.value.loc == Loc("dup.yml", 3)
    assert str(caught.value) == "dup.yml:3: duplicate key 'a' (first on line 1)"


@BOTH
def test_syntax_errors_name_file_and_line(schema: Schema) -> None:
    with pytest.raises(YamlError) as caught:
        load_text("a:\n  b: [1, 2\nc: 3\n", "bad.yml", schema=schema)
    assert (caught.value.file, caught.value.line) == ("bad.yml", 3)
    assert caught.value.problem.startswith("invalid YAML: ")


def test_bad_indentation_gets_a_hint() -> None:
    with pytest.raises(YamlError, match=r"check the indentation"):
        load_text("steps:\n- script: a\n  b: c\n    d: e\n", "p.yml")


def test_files_are_named_as_shown(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text("a:\n  b: 1\n", encoding="utf-8")
    assert load_file(tmp_path / "p.yml", "pipelines/p.yml")["a"].loc == Loc("pipelines/p.yml", 2)
    with pytest.raises(YamlError, match=r"^pipelines/nope.yml: file not found$"):
        load_file(tmp_path / "nope.yml", "pipelines/nope.yml")
    (tmp_path / "latin.yml").write_bytes(b"a: \xe9\n")
    with pytest.raises(YamlError, match="not UTF-8 text"):
        load_file(tmp_path / "latin.yml")


def test_an_empty_document_is_none() -> None:
    assert load_text("", "empty.yml") is None


def test_azure_ml_files_raise_the_executors_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "job.yml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(PipelineSpecError) as caught:
        load_yaml(path)
    assert (caught.value.file, caught.value.line) == (path, 2)
    assert str(caught.value) == f"{path}:2: duplicate key 'a' (first on line 1)"
    with pytest.raises(PipelineSpecError, match="file not found"):
        load_yaml(tmp_path / "nope.yml")


REPO = Path(__file__).resolve().parents[2]


def test_safe_load_reads_every_pipeline_as_pyyaml_s_safe_load_does() -> None:
    files = sorted((REPO / "pipelines").glob("*/*.yml")) + sorted((REPO / "templates").rglob("*.yml"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert safe_load(text) == yaml.safe_load(text), path
    assert safe_load("on: push\n") == {True: "push"}  # YAML 1.1, as the dialect check expects
