"""Table-driven tests of the Azure Pipelines expression evaluator (functions, literals, type casting)."""

from __future__ import annotations

import math

import pytest

from amlops.ci.expr import Context, ExpressionError, evaluate
from amlops.ci.expr.evaluator import to_bool, to_number, to_string
from amlops.ci.expr.lexer import Version
from amlops.errors import ConfigError

NAMED = {
    "parameters": {
        "env": "Prod",
        "count": 3,
        "enabled": True,
        "list": ["a", "b", "c"],
        "objs": [{"name": "x", "n": 1}, {"name": "y", "n": 2}],
        "map": {"Key": "value", "other": 2},
        "empty": "",
    },
    "variables": {"Build.SourceBranch": "refs/heads/main", "flag": "true", "num": "10"},
}

CASES = [
    # literals
    ("true", True),
    ("TRUE", True),
    ("False", False),
    ("null", None),
    ("1", 1),
    ("-1.5", -1.5),
    (".5", 0.5),
    ("1e3", 1000),
    ("2.5E-1", 0.25),
    ("0x1F", 31),
    ("'it''s'", "it's"),
    ("''", ""),
    ("1.2.3", Version("1.2.3")),
    ("1.2.3.4", Version("1.2.3.4")),
    # logic
    ("and(true, true)", True),
    ("and(true, false)", False),
    ("and(true, true, 1, 'x')", True),
    ("and(true, '')", False),
    ("or(false, 0, '', null)", False),
    ("or(false, 'a')", True),
    ("not(0)", True),
    ("not('false')", False),  # a non-empty string is true
    ("xor(true, false)", True),
    ("xor(true, 1)", False),
    # equality: right converts to the left's type, strings ignore case
    ("eq('ABC', 'abc')", True),
    ("eq(1, '1')", True),
    ("eq('1', 1)", True),
    ("eq(1, '1.0')", True),
    ("eq('1.0', 1)", False),
    ("eq(true, 'true')", True),  # 'true' is a non-empty string -> True
    ("eq(true, 'false')", True),  # so is 'false'
    ("eq('true', true)", True),  # True -> 'True'
    ("eq(false, '')", True),
    ("eq(1, 'abc')", False),  # NaN
    ("eq(null, '')", True),
    ("eq(null, 0)", False),
    ("eq(1.2.3, '1.2.3')", True),
    ("eq(1.2.3, '1.2.3.0')", True),
    ("ne('a', 'A')", False),
    ("ne(1, 2)", True),
    ("ne(parameters.list, parameters.list)", False),
    # ordering
    ("gt(2, 1)", True),
    ("gt('b', 'A')", True),
    ("ge(1, '1')", True),
    ("lt(1.2.3, 1.10.0)", True),
    ("le('abc', 'ABC')", True),
    ("lt(1, 'abc')", False),
    ("gt(variables.num, 9)", False),  # strings compare as strings: '10' < '9'
    ("gt(9, variables.num)", False),
    ("gt(10.5, variables.num)", True),
    # membership
    ("in('b', 'a', 'B')", True),
    ("in('z', 'a', 'b')", False),
    ("in(1, '1', 2)", True),
    ("notIn('z', 'a', 'b')", True),
    ("notIn('a', 'a')", False),
    ("contains('ABCDE', 'bcd')", True),
    ("contains('abc', 'x')", False),
    ("contains(123, 2)", True),
    ("containsValue(parameters.list, 'B')", True),
    ("containsValue(parameters.list, 'z')", False),
    ("containsValue(parameters.map, 'VALUE')", True),
    ("containsValue(parameters.map, 2)", True),
    ("startsWith(variables['Build.SourceBranch'], 'refs/heads/')", True),
    ("endsWith('file.YML', '.yml')", True),
    ("startsWith('abc', 'b')", False),
    # strings
    ("lower('ABC')", "abc"),
    ("upper('abc')", "ABC"),
    ("trim('  a b  ')", "a b"),
    ("replace('a-b-c', '-', '_')", "a_b_c"),
    ("split('a,b,,c', ',')", ["a", "b", "", "c"]),
    ("split('a::b', '::')[1]", "b"),
    ("join(';', parameters.list)", "a;b;c"),
    ("join(',', 'single')", "single"),
    ("join('-', split('x y z', ' '))", "x-y-z"),
    ("format('{0}/{1}', 'a', 2)", "a/2"),
    ("format('{{literal}} {0}', 'x')", "{literal} x"),
    ("format('{1}{0}{1}', 'a', 'b')", "bab"),
    ("format('{0}', true)", "True"),
    ("format('{0}', 1.50)", "1.5"),
    ("length('abcd')", 4),
    ("length(parameters.list)", 3),
    ("length(parameters.map)", 2),
    ("length(parameters.missing)", 0),
    ("coalesce(parameters.empty, parameters.missing, 'x')", "x"),
    ("coalesce('', null)", None),
    ("iif(eq(parameters.env, 'prod'), 'p', 'd')", "p"),
    ("iif(false, 'p', 'd')", "d"),
    ("convertToJson(parameters.map)", '{\n  "Key": "value",\n  "other": 2\n}'),
    ("convertToJson(parameters.list)", '[\n  "a",\n  "b",\n  "c"\n]'),
    ("convertToJson('s')", '"s"'),
    # lookups
    ("parameters.env", "Prod"),
    ("PARAMETERS.ENV", "Prod"),
    ("parameters['env']", "Prod"),
    ("parameters.map.key", "value"),
    ("parameters.list[1]", "b"),
    ("parameters.list['2']", "c"),
    ("parameters.list[5]", None),
    ("parameters.missing.deeper", None),
    ("parameters.objs.*.name", ["x", "y"]),
    ("parameters.objs[*].n", [1, 2]),
    ("join(',', parameters.objs.*.name)", "x,y"),
    ("variables['build.sourcebranch']", "refs/heads/main"),
    ("variables['noSuch']", None),
    ("length(parameters.map.*)", 2),
    ("eq(parameters.count, 3)", True),
    ("eq(parameters.enabled, 'True')", True),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] for c in CASES])
def test_evaluates(expression: str, expected: object) -> None:
    result = evaluate(expression, Context(named=NAMED))
    assert result == expected
    assert type(result) is type(expected) or (
        isinstance(result, (int, float)) and isinstance(expected, (int, float))
    )


ERRORS = [
    ("eq(1", "unexpected end"),
    ("eq(1,,2)", "unexpected ','"),
    ("eq(1, 2, 3)", "eq() takes exactly 2"),
    ("and(true)", "and() takes at least 2"),
    ("not()", "not() takes exactly 1"),
    ("iif(true, 1)", "iif() takes exactly 3"),
    ("nosuch(1)", "unknown function 'nosuch'"),
    ("'open", "unterminated string"),
    ("bogus.x", "unrecognized value 'bogus'"),
    ("1 2", "after the end of the expression"),
    ("eq(1, 2))", "unexpected ')'"),
    ("a..b", "expected a property name"),
    ("parameters.list[0", "expected ']'"),
    ("format('{0} {1}', 'a')", "placeholder {1} has no argument"),
    ("format('{x}', 'a')", "is not a placeholder"),
    ("format('a}', 'a')", "unmatched '}'"),
    ("gt(parameters.list, 1)", "cannot order"),
    ("gt(1.2.3, true)", "cannot convert Boolean to Version"),
    ("length(true)", "expected a string, array or object"),
    ("succeeded()", "only allowed in a condition"),
    ("counter('a', 1)", "only allowed in runtime expressions"),
    ("lower(parameters.list)", "cannot use Array where a string is expected"),
    ("", "empty expression"),
    ("eq(1 # 2)", "unexpected symbol '#'"),
]


@pytest.mark.parametrize(("expression", "message"), ERRORS, ids=[e[0] or "<empty>" for e in ERRORS])
def test_reports_errors(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(expression, Context(named=NAMED))
    assert message in info.value.message


def test_error_column_points_at_the_problem() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate("eq(1, nosuch(2))", Context(named=NAMED))
    assert info.value.column == 7


def test_status_functions_ask_the_context() -> None:
    asked: list[tuple[str, tuple[str, ...]]] = []

    def status(name: str, names: tuple[str, ...]) -> bool:
        asked.append((name, names))
        return name == "failed"

    ctx = Context(named=NAMED, status=status)
    assert evaluate("and(failed('A', 'B'), not(succeeded()))", ctx) is True
    assert asked == [("failed", ("A", "B")), ("succeeded", ())]


def test_counter_counts_per_prefix() -> None:
    ctx = Context(named=NAMED, counters={})
    assert [evaluate("counter('v1', 100)", ctx) for _ in range(3)] == [100, 101, 102]
    assert evaluate("counter('v2', 0)", ctx) == 0
    assert evaluate("counter('V1', 100)", ctx) == 103


def test_and_short_circuits() -> None:
    ctx = Context(named=NAMED, status=None)
    assert evaluate("and(false, succeeded())", ctx) is False
    assert evaluate("or(true, succeeded())", ctx) is True


@pytest.mark.parametrize(
    ("value", "as_bool", "as_number", "as_string"),
    [
        (None, False, 0, ""),
        (True, True, 1, "True"),
        (False, False, 0, "False"),
        (0, False, 0, "0"),
        (2.5, True, 2.5, "2.5"),
        ("", False, 0, ""),
        ("abc", True, math.nan, "abc"),
        (" 1,000.5 ", True, 1000.5, " 1,000.5 "),
        (Version("1.2"), True, None, "1.2"),
    ],
)
def test_type_casting(value: object, as_bool: bool, as_number: float | None, as_string: str) -> None:
    assert to_bool(value) is as_bool
    if as_number is not None:
        got = to_number(value)
        assert (math.isnan(got) and math.isnan(as_number)) or got == as_number
    assert to_string(value) == as_string


@pytest.mark.parametrize("value", [{"a": 1}, ["a"]])
def test_a_value_with_no_string_form_is_an_expression_error(value: object) -> None:
    with pytest.raises(ExpressionError, match=r"cannot convert \w+ to String") as failure:
        to_string(value)

    assert isinstance(failure.value, ConfigError)  # cli.main reports it (exit 2), no traceback
