"""Validate data against the contract with great-expectations: `python -m datascience.validate`.

The expectation suites are generated from the contract and run in an ephemeral GX context:

* suite `<name>.schema` on the data as read: each column exists, its values have the contract type
  (checked value by value, so one wrong-typed cell in a CSV is counted), and non-nullable columns have
  no nulls;
* suite `<name>.values` on the data coerced to the contract types (a wrong-typed value becomes missing
  there, so it is counted once, as a type failure): numeric and date-time ranges, allowed categories.

Expectations on a column that is absent are left out (its existence check already fails). GX's own Data
Docs need a file-backed project, so the HTML report (`data_docs/index.html`) is rendered here from the
same results that go to `result.json`. Integer columns accept float storage (a CSV column with nulls).
Exit status: 0 valid, 1 invalid (summary on stderr naming columns and unexpected counts), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from datascience.contract import Column, Contract, ContractError, load_contract
from datascience.features import as_read, typed_frame
from datascience.tables import read_table

INT_TYPES = ["int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
INT_TYPES += ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"]
FLOAT_TYPES = ["float", "float16", "float32", "float64", "Float32", "Float64"]
TYPE_LISTS = {
    "float": FLOAT_TYPES + INT_TYPES,
    "int": INT_TYPES + FLOAT_TYPES,
    "bool": ["bool", "boolean", "bool_"],
    "datetime": [
        "datetime64",
        "datetime64[ns]",
        "datetime64[us]",
        "datetime64[ms]",
        "datetime64[s]",
        "Timestamp",
    ],
    "category": ["str"],
    "string": ["str"],
}


def schema_expectations(contract: Contract, present: set[str]) -> list[Any]:
    """Existence, type and nullability expectations, checked on the data as read."""
    import great_expectations.expectations as gxe

    expectations: list[Any] = [gxe.ExpectTableRowCountToBeBetween(min_value=1)]
    for column in contract.columns:
        expectations.append(gxe.ExpectColumnToExist(column=column.name))
        if column.name not in present:
            continue
        expectations.append(
            gxe.ExpectColumnValuesToBeInTypeList(column=column.name, type_list=TYPE_LISTS[column.type])
        )
        if not column.nullable:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column.name))
    return expectations


def value_expectations(contract: Contract, present: set[str]) -> list[Any]:
    """Range and category expectations, checked on the data coerced to the contract types."""
    import great_expectations.expectations as gxe

    expectations: list[Any] = []
    for column in contract.columns:
        if column.name not in present:
            continue
        if column.min is not None or column.max is not None:
            low, high = _bound(column.min, column), _bound(column.max, column)
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(column=column.name, min_value=low, max_value=high)
            )
        if column.categories is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(column.categories))
            )
    return expectations


def _bound(value: float | str | None, column: Column) -> Any:
    if value is None:
        return None
    return datetime.fromisoformat(value) if column.type == "datetime" else value


def run_validation(frame: pd.DataFrame, contract: Contract) -> dict[str, Any]:
    """Run both suites; returns the report written to result.json."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    present = set(frame.columns)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("data").add_dataframe_asset("frame")
    batch = asset.add_batch_definition_whole_dataframe("whole")
    results: list[dict[str, Any]] = []
    suites = (
        ("schema", schema_expectations(contract, present), as_read(frame, contract)),
        ("values", value_expectations(contract, present), typed_frame(frame, contract)),
    )
    for suite_name, expectations, data in suites:
        suite = gx.ExpectationSuite(name=f"{contract.name}.{suite_name}")
        for expectation in expectations:
            suite.add_expectation(expectation)
        suite = context.suites.add(suite)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = definition.run(batch_parameters={"dataframe": data}, result_format="SUMMARY")
        results.extend(_result_row(suite_name, r) for r in outcome.results)
    unknown = [str(name) for name in frame.columns if name not in set(contract.names)]
    failures = [
        {
            "column": r["column"],
            "expectation": r["expectation"],
            "unexpected_count": r["unexpected_count"],
            "message": failure_message(r, contract, unknown),
        }
        for r in results
        if not r["success"]
    ]
    return {
        "success": not failures,
        "contract": contract.name,
        "row_count": len(frame),
        "statistics": {"evaluated": len(results), "failed": len(failures)},
        "results": results,
        "failures": failures,
    }


def _result_row(suite: str, result: Any) -> dict[str, Any]:
    config = result.expectation_config
    detail = result.result or {}
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "column")}
    exception = (result.exception_info or {}).get("exception_message")
    return {
        "suite": suite,
        "expectation": config.type,
        "column": config.kwargs.get("column"),
        "kwargs": json.loads(json.dumps(kwargs, default=str)),
        "success": bool(result.success),
        "unexpected_count": detail.get("unexpected_count"),
        "element_count": detail.get("element_count"),
        "observed_value": json.loads(json.dumps(detail.get("observed_value"), default=str)),
        "partial_unexpected_list": json.loads(
            json.dumps(detail.get("partial_unexpected_list", [])[:5], default=str)
        ),
        "exception": exception,
    }


def failure_message(result: dict[str, Any], contract: Contract, unknown: Sequence[str]) -> str:
    """A failed expectation in the contract's words (column, what is wrong, how many, examples). Pure."""
    name, kind = result["column"], result["expectation"]
    column = contract.column(name) if name in contract.names else None
    count = result["unexpected_count"]
    examples = ", ".join(_value_text(v, column) for v in result["partial_unexpected_list"][:3])
    eg = f" (e.g. {examples})" if examples else ""
    rows = f"{count} row(s)" if count is not None else "some rows"
    if kind == "expect_column_to_exist":
        known = "; ".join(f"the data has a column {u!r} the contract does not know" for u in unknown)
        return f"column {name!r} is missing" + (f"; {known}" if known else "")
    if kind == "expect_table_row_count_to_be_between":
        return "the data has no rows"
    if kind == "expect_column_values_to_not_be_null":
        return f"column {name!r} has {rows} with no value, and the contract says it is not nullable"
    if kind == "expect_column_values_to_be_in_type_list" and column is not None:
        return f"column {name!r} has {rows} that are not of the contract type {column.type}{eg}"
    if kind == "expect_column_values_to_be_between" and column is not None:
        low, high = column.min, column.max
        if low is not None and high is not None:
            allowed = f"between {_value_text(low, column)} and {_value_text(high, column)}"
        elif low is not None:
            allowed = f"at least {_value_text(low, column)}"
        else:
            allowed = f"at most {_value_text(high, column)}"
        return f"column {name!r} has {rows} outside the contract range: must be {allowed}{eg}"
    if kind == "expect_column_values_to_be_in_set" and column is not None:
        allowed = ", ".join(column.categories or ())
        return f"column {name!r} has {rows} with a category the contract does not list ({allowed}){eg}"
    where = f"column {name!r}" if name else "the table"
    return f"{where}: {kind}" + (f": {count} unexpected value(s)" if count is not None else " failed")


def _value_text(value: Any, column: Column | None) -> str:
    """A value for a message: integers of an int column print as integers (2015, not 2015.0)."""
    if column is not None and column.type == "int":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return repr(value)
        if number.is_integer():
            return str(int(number))
    return (
        str(value)
        if isinstance(value, int | float)
        else repr(value)
        if isinstance(value, str)
        else str(value)
    )


def summarise(report: dict[str, Any]) -> str:
    """One line per failed expectation, naming the column and the count of unexpected values."""
    if report["success"]:
        return f"validate: {report['row_count']} rows satisfy the contract {report['contract']!r}"
    lines = [f"validate: {len(report['failures'])} expectation(s) failed on {report['row_count']} rows:"]
    for failure in report["failures"]:
        fallback = f"{failure['column'] or '(table)'}: {failure['expectation']}"
        lines.append(f"  {failure.get('message') or fallback}")
    return "\n".join(lines)


def render_html(report: dict[str, Any]) -> str:
    """A self-contained HTML page of the validation results (no scripts, no external assets)."""
    status = "passed" if report["success"] else "FAILED"
    rows = []
    for r in report["results"]:
        mark = "ok" if r["success"] else "fail"
        examples = ", ".join(map(str, r["partial_unexpected_list"]))
        cells = [
            r["suite"],
            r["column"] or "(table)",
            r["expectation"],
            json.dumps(r["kwargs"]),
            "pass" if r["success"] else "FAIL",
            "" if r["unexpected_count"] is None else str(r["unexpected_count"]),
            examples,
        ]
        rows.append(f'<tr class="{mark}">' + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    title = html.escape(f"Validation of {report['contract']}: {status}")
    headers = "".join(
        f"<th>{h}</th>"
        for h in ("suite", "column", "expectation", "arguments", "result", "unexpected", "examples")
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}tr.fail{{background:#fdd}}</style></head>
<body><h1>{title}</h1>
<p>{report["row_count"]} rows, {report["statistics"]["evaluated"]} expectations,
{report["statistics"]["failed"]} failed.</p>
<table><thead><tr>{headers}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""


def run(contract_path: Path, data: Path, report_dir: Path) -> dict[str, Any]:
    contract = load_contract(contract_path)
    report = run_validation(read_table(data), contract)
    report["data"] = str(data)
    (report_dir / "data_docs").mkdir(parents=True, exist_ok=True)
    (report_dir / "result.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (report_dir / "data_docs" / "index.html").write_text(render_html(report), encoding="utf-8")
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datascience.validate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--contract", type=Path, required=True, help="Dataset contract (contract.yml).")
    parser.add_argument("--data", type=Path, required=True, help="A csv/parquet file or a folder of them.")
    parser.add_argument("--report", type=Path, required=True, help="Folder for result.json and data_docs/.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = run(args.contract, args.data, args.report)
    except (ContractError, FileNotFoundError, ValueError) as error:
        print(f"validate: {error}", file=sys.stderr)
        return 2
    print(summarise(report), file=sys.stderr)
    return 0 if report["success"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
