"""The `amlops new` command's argument handling (generation itself: tests/cookiecutter)."""

import argparse
import json

import pytest

from amlops.render import command


def _parse(argv):
    parser = argparse.ArgumentParser()
    command.configure(parser)
    return parser.parse_args(argv)


def test_parse_pairs():
    assert command.parse_pairs(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        command.parse_pairs(["novalue"])


def test_answers_file_accepts_the_record_written_into_projects(tmp_path):
    record = tmp_path / "answers.json"
    record.write_text(json.dumps({"template": {}, "answers": {"task": "classification"}}))
    assert command.read_answers_file(record) == {"task": "classification"}


def test_invalid_answers_exit_2_and_write_nothing(tmp_path, capsys):
    args = _parse(["--no-input", "--output-dir", str(tmp_path / "out"), "ci_platform=jenkins", "colour=red"])
    assert command.execute(args) == 2
    err = capsys.readouterr().err
    assert "ci_platform='jenkins'" in err
    assert "colour: unknown answer" in err
    assert not (tmp_path / "out").exists()


def test_malformed_pair_is_a_usage_error(tmp_path, capsys):
    assert command.execute(_parse(["--output-dir", str(tmp_path), "oops"])) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_help_line_is_the_docstring_first_line():
    assert command.__doc__.splitlines()[0].startswith("Render a new project")
