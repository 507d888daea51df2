"""A corpus of hostile scoring requests for the taxi contract, each with the 4xx it must get.

`Case(name, body, status, field, fragment, method, path, headers)`: the body is raw bytes (so it can hold what
`json.dumps` never writes: NaN, 400-digit integers, duplicate keys, broken UTF-8); `field` is the field the
JSON error must name (`ANY` when the error concerns the whole body); `fragment` must appear in its message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field

ANY = object()
JSON = {"Content-Type": "application/json"}

GOOD_ROW = {
    "trip_id": "T1",
    "pickup_datetime": "2024-03-06T18:05:20",
    "trip_distance": 6.08,
    "passenger_count": 1,
    "pickup_zone": "SoHo",
    "dropoff_zone": "Upper West Side",
    "vendor": "VTS",
    "payment_type": "card",
}
COLUMNS = list(GOOD_ROW)


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    status: int
    field: object = ANY
    fragment: str = ""
    method: str = "POST"
    path: str = "/score"
    headers: dict[str, str] = dataclass_field(default_factory=lambda: dict(JSON))


def good_body(rows: int = 1) -> bytes:
    return json.dumps({"data": [GOOD_ROW] * rows}).encode()


def with_raw(column: str, raw: str) -> bytes:
    """A one-row `data` body whose `column` holds the raw JSON text `raw`."""
    row = {**GOOD_ROW, column: "__RAW__"}
    return json.dumps({"data": [row]}).replace('"__RAW__"', raw).encode()


def _numeric_cases() -> list[Case]:
    hostile = [
        ("400-digit integer", "9" * 400, "400 digits"),
        ("5000-digit integer", "7" * 5000, "5000 digits"),
        ("negative 400-digit integer", "-" + "9" * 400, "400 digits"),
        ("Infinity", "Infinity", "not a JSON number"),
        ("-Infinity", "-Infinity", "not a JSON number"),
        ("NaN", "NaN", "not a JSON number"),
        ("1e309", "1e309", "overflows"),
        ("-1e309", "-1e309", "overflows"),
        ("1e39 (beyond float32)", "1e39", "out of range"),
        ("21-digit integer", "1" + "0" * 20, "21 digits"),
        ("number as string", '"6"', "expected a number"),
        ("true", "true", "expected a number"),
        ("list", "[1]", "expected a number"),
        ("object", '{"v": 1}', "expected a number"),
        ("huge but short exponent", "1e99999", "overflows"),
    ]
    cases = []
    for column in ("trip_distance", "passenger_count"):
        for label, raw, fragment in hostile:
            cases.append(Case(f"{column}: {label}", with_raw(column, raw), 400, column, fragment))
    cases += [
        Case("int column: 1.5", with_raw("passenger_count", "1.5"), 400, "passenger_count", "integer"),
        Case("int column: 1e3", with_raw("passenger_count", "1e3"), 400, "passenger_count", "maximum"),
        Case("float below min", with_raw("trip_distance", "0.0"), 400, "trip_distance", "minimum"),
        Case("float above max", with_raw("trip_distance", "151"), 400, "trip_distance", "maximum"),
        Case("non-nullable null", with_raw("trip_distance", "null"), 400, "trip_distance", "null"),
        Case("tiny denormal below min", with_raw("trip_distance", "1e-400"), 400, "trip_distance", "minimum"),
    ]
    return cases


def _datetime_cases() -> list[Case]:
    hostile = [
        ("date only", '"2024-03-06"', "time of day"),
        ("ISO week date", '"2024-W10-3"', "time of day"),
        ("ISO week date and time", '"2024-W10-3T10:00:00"', "time of day"),
        ("ordinal date", '"2024-066"', "time of day"),
        ("hour 25", '"2024-03-06T25:00:00"', "ISO 8601"),
        ("February 30", '"2024-02-30T10:00:00"', "ISO 8601"),
        ("words", '"yesterday"', "ISO 8601"),
        ("empty string", '""', "ISO 8601"),
        ("integer", "20240306", "ISO 8601"),
        ("epoch float", "1709748320.5", "ISO 8601"),
        ("seven fraction digits", '"2024-03-06T18:05:20.1234567"', "ISO 8601"),
        ("below min", '"2023-12-31T23:00:00"', "minimum"),
        ("above max", '"2026-01-01T00:00:01"', "maximum"),
        ("list", '["2024-03-06T18:05:20"]', "ISO 8601"),
        ("null", "null", "null"),
        ("trailing text", '"2024-03-06T18:05:20 and more"', "ISO 8601"),
    ]
    return [
        Case(f"pickup_datetime: {label}", with_raw("pickup_datetime", raw), 400, "pickup_datetime", fragment)
        for label, raw, fragment in hostile
    ]


def _category_cases() -> list[Case]:
    hostile = [
        ("unknown category", '"Atlantis"', "not an allowed category"),
        ("wrong case", '"soho"', "not an allowed category"),
        ("empty string", '""', "not an allowed category"),
        ("number", "5", "expected a string"),
        ("null", "null", "null"),
        ("list", '["SoHo"]', "expected a string"),
        ("object", '{"zone": "SoHo"}', "expected a string"),
        ("10,000-character string", json.dumps("x" * 10_000), "characters"),
        ("NUL character", '"So\\u0000Ho"', "not an allowed category"),
        ("lone surrogate", '"\\ud800"', "not an allowed category"),
        ("bool", "false", "expected a string"),
    ]
    cases = [
        Case(f"pickup_zone: {label}", with_raw("pickup_zone", raw), 400, "pickup_zone", fragment)
        for label, raw, fragment in hostile
    ]
    cases += [
        Case("vendor: unknown", with_raw("vendor", '"UBER"'), 400, "vendor", "not an allowed category"),
        Case("payment_type: number", with_raw("payment_type", "1"), 400, "payment_type", "expected a string"),
    ]
    return cases


def _deep(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


def _structure_cases() -> list[Case]:
    row = json.dumps(GOOD_ROW)
    split = {"columns": COLUMNS, "data": [[GOOD_ROW[c] for c in COLUMNS]]}
    duplicate_key_row = row[:-1] + ', "trip_distance": 7.5}'
    many_rows = json.dumps({"data": [{"trip_distance": 1}] * 10_001}).encode()
    bodies = [
        ("not JSON", b"{not json", ANY, "not valid JSON"),
        ("empty body", b"", ANY, "empty"),
        ("whitespace only", b"   ", ANY, "not valid JSON"),
        ("JSON array", b"[1, 2]", ANY, "JSON object"),
        ("JSON null", b"null", ANY, "JSON object"),
        ("JSON number", b"42", ANY, "JSON object"),
        ("JSON string", b'"data"', ANY, "JSON object"),
        ("empty object", b"{}", "data", '"data" or an "input_data"'),
        ("no rows", b'{"data": []}', "data", "no rows"),
        ("data is an object", b'{"data": {}}', "data", "list of objects"),
        ("data is a string", b'{"data": "rows"}', "data", "list of objects"),
        ("data holds a number", b'{"data": [1]}', "data", "list of objects"),
        ("data holds null", b'{"data": [null]}', "data", "list of objects"),
        (
            "data holds lists",
            f'{{"data": [{json.dumps(list(GOOD_ROW.values()))}]}}'.encode(),
            "data",
            "row 0",
        ),
        (
            "both data and input_data",
            json.dumps({"data": [GOOD_ROW], "input_data": split}).encode(),
            "input_data",
            "both",
        ),
        (
            "unknown top-level key",
            json.dumps({"data": [GOOD_ROW], "params": {}}).encode(),
            "params",
            "unknown",
        ),
        ("duplicate top-level key", f'{{"data": [{row}], "data": []}}'.encode(), "data", "duplicate key"),
        (
            "duplicate key in a row",
            f'{{"data": [{duplicate_key_row}]}}'.encode(),
            "trip_distance",
            "duplicate key",
        ),
        (
            "duplicate column",
            json.dumps(
                {"input_data": {"columns": [*COLUMNS, "vendor"], "data": [[*split["data"][0], "CMT"]]}}
            ).encode(),
            "vendor",
            "listed twice",
        ),
        (
            "column name is a list",
            json.dumps({"input_data": {"columns": [["a"], *COLUMNS[1:]], "data": split["data"]}}).encode(),
            "input_data.columns",
            "not a list",
        ),
        (
            "column name is an object",
            json.dumps({"input_data": {"columns": [{"a": 1}, *COLUMNS[1:]], "data": split["data"]}}).encode(),
            "input_data.columns",
            "not an object",
        ),
        (
            "column name is a number",
            json.dumps({"input_data": {"columns": [1, *COLUMNS[1:]], "data": split["data"]}}).encode(),
            "input_data.columns",
            "a string",
        ),
        (
            "column name is null",
            json.dumps({"input_data": {"columns": [None, *COLUMNS[1:]], "data": split["data"]}}).encode(),
            "input_data.columns",
            "not null",
        ),
        (
            "columns is a string",
            json.dumps({"input_data": {"columns": "a,b", "data": []}}).encode(),
            "input_data.columns",
            '"columns"',
        ),
        ("input_data is a list", json.dumps({"input_data": [1]}).encode(), "input_data.columns", '"columns"'),
        (
            "input_data unknown key",
            json.dumps({"input_data": {**split, "dtype": "x"}}).encode(),
            "input_data.dtype",
            "unknown key",
        ),
        (
            "input_data rows not a list",
            json.dumps({"input_data": {"columns": COLUMNS, "data": {}}}).encode(),
            "input_data.data",
            "list of rows",
        ),
        (
            "input_data short row",
            json.dumps({"input_data": {"columns": COLUMNS, "data": [[1]]}}).encode(),
            "input_data.data",
            "list of 8 values",
        ),
        (
            "input_data no rows",
            json.dumps({"input_data": {"columns": COLUMNS, "data": []}}).encode(),
            "input_data.data",
            "no rows",
        ),
        ("nested 10,000 deep", _deep(10_000).encode(), ANY, "levels deep"),
        ("nested 10,000 deep in a value", with_raw("trip_distance", _deep(10_000)), ANY, "levels deep"),
        ("nested 33 deep", _deep(33).encode(), ANY, "levels deep"),
        ("objects nested 10,000 deep", ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(), ANY, "levels deep"),
        ("10,001 rows", many_rows, "data", "at most 10000 rows"),
        (
            "missing field",
            json.dumps({"data": [{k: v for k, v in GOOD_ROW.items() if k != "vendor"}]}).encode(),
            "vendor",
            "required field is missing",
        ),
        (
            "unknown field",
            json.dumps({"data": [{**GOOD_ROW, "colour": "red"}]}).encode(),
            "colour",
            "unknown field",
        ),
        ("UTF-8 BOM", b"\xef\xbb\xbf" + good_body(), ANY, "not valid JSON"),
        ("invalid UTF-8", good_body().replace(b"SoHo", b"So\xffHo"), ANY, "not UTF-8"),
        ("trailing garbage", good_body() + b" trailing", ANY, "not valid JSON"),
        ("JSON with a comment", b"// rows\n" + good_body(), ANY, "not valid JSON"),
        ("single quotes", good_body().replace(b'"', b"'"), ANY, "not valid JSON"),
        ("top-level NaN", b"NaN", ANY, "JSON object"),
        (
            "second row bad",
            json.dumps({"data": [GOOD_ROW, {**GOOD_ROW, "vendor": "X"}]}).encode(),
            "vendor",
            "row 1",
        ),
    ]
    return [Case(name, body, 400, field, fragment) for name, body, field, fragment in bodies]


def _http_cases() -> list[Case]:
    query = "/score?data=" + json.dumps([GOOD_ROW]).replace(" ", "")
    cases = [
        Case("GET with the rows in the query", b"", 405, ANY, "POST", method="GET", path=query),
        Case("GET /score", b"", 405, ANY, "POST", method="GET"),
        Case("PUT", good_body(), 405, ANY, "not allowed", method="PUT"),
        Case("DELETE", b"", 405, ANY, "not allowed", method="DELETE"),
        Case("PATCH", good_body(), 405, ANY, "not allowed", method="PATCH"),
        Case("OPTIONS", b"", 405, ANY, "POST", method="OPTIONS"),
    ]
    content_types = [
        ("text/plain", "text/plain", "Content-Type"),
        ("no Content-Type", None, "no Content-Type"),
        ("form with valid JSON", "application/x-www-form-urlencoded", "Content-Type"),
        ("multipart", "multipart/form-data; boundary=x", "Content-Type"),
        ("XML", "application/xml", "Content-Type"),
        ("JSON in latin-1", "application/json; charset=latin-1", "UTF-8"),
        ("JSON look-alike", "application/jsonx", "Content-Type"),
        ("octet-stream", "application/octet-stream", "Content-Type"),
    ]
    for label, ctype, fragment in content_types:
        headers = {} if ctype is None else {"Content-Type": ctype}
        cases.append(Case(f"content type: {label}", good_body(), 415, ANY, fragment, headers=headers))
    return cases


def oversized_cases() -> list[Case]:
    """Bodies over the size limit: answered 413 from the declared length, before anything is read."""
    return [
        Case("20 MB body", b'{"data": [' + b" " * 20_000_000 + b"]}", 413, ANY, "at most"),
        Case("92,000 rows", good_body(92_000), 413, ANY, "at most"),
    ]


def corpus() -> list[Case]:
    return [*_numeric_cases(), *_datetime_cases(), *_category_cases(), *_structure_cases(), *_http_cases()]
