"""Label lines: wrapped at spaces, long paths cut after a separator, the condition last."""

from __future__ import annotations

import pytest

from amlops.graph.labels import lines_of, text_width, wrap
from amlops.graph.model import Cluster, Node


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("short", 36, ["short"]),
        ("", 36, [""]),
        ("a  b\tc", 36, ["a b c"]),
        ("one two three four", 9, ["one two", "three", "four"]),
        ("first\nsecond", 36, ["first", "second"]),
        (
            "calls templates/github/workflows/deploy-model.yml",
            36,
            ["calls templates/github/workflows/", "deploy-model.yml"],
        ),
        ("x" * 20, 8, ["xxxxxxxx", "xxxxxxxx", "xxxx"]),
    ],
)
def test_wrap(text: str, width: int, expected: list[str]) -> None:
    assert wrap(text, width) == expected
    assert all(len(line) <= width for line in wrap(text, width))


def test_lines_are_the_label_then_the_details_then_the_condition() -> None:
    node = Node("n", "Publish test results", condition="succeededOrFailed()", details=("task: X@2",))
    assert lines_of(node) == [
        ("label", "Publish test results"),
        ("detail", "task: X@2"),
        ("condition", "if: succeededOrFailed()"),
    ]
    assert lines_of(Cluster("c", "Stage")) == [("label", "Stage")]


def test_text_width_grows_with_the_text_and_the_font() -> None:
    assert text_width("", 12) == 0
    assert text_width("iiii", 12) < text_width("mmmm", 12)
    assert text_width("abc", 24) == 2 * text_width("abc", 12)
