import pytest
from datascience import strict_json
from datascience.strict_json import BadNumber, BodyError, loads, nesting


def test_plain_json_parses_as_json_loads_would():
    assert loads('{"data": [{"a": 1, "b": 2.5, "c": "x", "d": null, "e": true}]}') == {
        "data": [{"a": 1, "b": 2.5, "c": "x", "d": None, "e": True}]
    }


def test_duplicate_keys_are_refused_naming_the_key():
    with pytest.raises(BodyError, match="duplicate key 'a'") as caught:
        loads('{"a": 1, "b": 2, "a": 3}')
    assert caught.value.field == "a"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1" * 21, "21 digits"),
        ("-" + "9" * 5000, "5000 digits"),
        ("1e309", "overflows"),
        ("NaN", "not a JSON number"),
        ("-Infinity", "not a JSON number"),
    ],
)
def test_numbers_no_model_input_holds_become_markers(text, reason):
    value = loads(f"[{text}]")[0]
    assert isinstance(value, BadNumber)
    assert reason in str(value)
    assert len(str(value)) < 120  # a 5,000-digit number is not echoed whole


def test_twenty_digit_integers_still_parse():
    assert loads("[18446744073709551616]") == [2**64]


def test_depth_is_bounded_and_brackets_in_strings_do_not_count():
    assert nesting({"a": [[1]], "b": "[[[[[[["}, stop=99) == 3
    assert nesting(loads("[" * 30 + "]" * 30), stop=5) == 5
    assert nesting(7, stop=5) == 0
    with pytest.raises(BodyError, match="more than 32 levels deep"):
        loads('{"a": ' * 33 + "1" + "}" * 33)
    loads("[" * 32 + "]" * 32)
    with pytest.raises(BodyError, match="more than 32 levels deep"):
        loads("[" * 33 + "]" * 33)
    with pytest.raises(BodyError, match="more than 32 levels deep"):
        loads("[" * 100_000)


def test_invalid_json_names_the_position():
    with pytest.raises(BodyError, match="not valid JSON: Expecting value at position 6"):
        loads('{"a": }')


def test_max_depth_is_a_parameter():
    assert strict_json.loads("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(BodyError):
        strict_json.loads("[[1]]", max_depth=1)
