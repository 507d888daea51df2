"""Split validated data into train/validation/test: `python -m datascience.prep`.

Rows are reduced to the contract's columns and coerced to the contract types; the split is seeded (and
stratified by class for classification). With `--validation-report DIR` (the validate step's report
folder) prep refuses data whose validation failed; the Azure ML pipeline passes it, which also orders
prep after validate.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from datascience.contract import Contract, ContractError, load_contract
from datascience.features import typed_frame
from datascience.tables import read_table

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def split(
    frame: pd.DataFrame,
    *,
    validation_ratio: float,
    test_ratio: float,
    seed: int,
    stratify: pd.Series | None = None,
) -> Splits:
    """Seeded three-way split; the ratios are fractions of all rows."""
    if validation_ratio <= 0 or test_ratio <= 0 or validation_ratio + test_ratio >= 1:
        raise ValueError("validation and test ratios must be positive and sum to less than 1")
    rest, test = train_test_split(frame, test_size=test_ratio, random_state=seed, stratify=stratify)
    rest_stratify = stratify.loc[rest.index] if stratify is not None else None
    train, validation = train_test_split(
        rest, test_size=validation_ratio / (1 - test_ratio), random_state=seed + 1, stratify=rest_stratify
    )
    return Splits(
        train.reset_index(drop=True), validation.reset_index(drop=True), test.reset_index(drop=True)
    )


def prepare(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Contract columns only, coerced to the contract types; rows without a target are dropped."""
    missing = [name for name in contract.names if name not in frame.columns]
    if missing:
        raise ValueError(f"the data lacks contract column(s) {', '.join(missing)}")
    typed = typed_frame(frame, contract)[list(contract.names)]
    return typed[typed[contract.target].notna()].reset_index(drop=True)


def check_validation_report(report_dir: Path) -> None:
    result = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    if not result.get("success"):
        columns = sorted({str(f.get("column")) for f in result.get("failures", [])})
        raise ValueError(
            f"validation failed for column(s) {', '.join(columns)}; see {report_dir}/result.json"
        )


def run(
    contract_path: Path,
    data: Path,
    output: Path,
    *,
    seed: int,
    validation_ratio: float,
    test_ratio: float,
    validation_report: Path | None = None,
) -> Splits:
    if validation_report is not None:
        check_validation_report(validation_report)
    contract = load_contract(contract_path)
    frame = prepare(read_table(data), contract)
    stratify = frame[contract.target] if contract.task == "classification" else None
    splits = split(
        frame, validation_ratio=validation_ratio, test_ratio=test_ratio, seed=seed, stratify=stratify
    )
    output.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        getattr(splits, name).to_parquet(output / f"{name}.parquet", index=False)
    return splits


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m datascience.prep", description=__doc__.splitlines()[0])
    parser.add_argument("--contract", type=Path, required=True, help="Dataset contract (contract.yml).")
    parser.add_argument("--data", type=Path, required=True, help="A csv/parquet file or a folder of them.")
    parser.add_argument(
        "--output", type=Path, required=True, help="Folder for train/validation/test.parquet."
    )
    parser.add_argument("--seed", type=int, default=42, help="Seed of the split.")
    parser.add_argument(
        "--validation-ratio", type=float, default=0.15, help="Fraction of rows for validation."
    )
    parser.add_argument("--test-ratio", type=float, default=0.15, help="Fraction of rows for test.")
    parser.add_argument(
        "--validation-report",
        type=Path,
        default=None,
        help="Optional validate report folder; refuse failed data.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        splits = run(
            args.contract,
            args.data,
            args.output,
            seed=args.seed,
            validation_ratio=args.validation_ratio,
            test_ratio=args.test_ratio,
            validation_report=args.validation_report,
        )
    except ContractError as error:
        print(f"prep: {error}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as error:
        print(f"prep: {error}", file=sys.stderr)
        return 1
    sizes = ", ".join(f"{name} {len(getattr(splits, name))}" for name in SPLITS)
    print(f"prep: wrote {sizes} rows to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
