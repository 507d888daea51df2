"""Feature drift between a reference and a current dataset: `python -m datascience.drift`.

Per model input of the contract (numeric features, derived date-time features, categoricals):
numerics get the population stability index (PSI) over 10 quantile bins of the reference (plus a bin
for missing values) and the two-sample Kolmogorov-Smirnov statistic; categoricals get the PSI over the
contract's categories (plus "other" and "missing"). A feature drifts when its PSI exceeds `--threshold`
(default 0.2, the usual "significant shift" level); `drifted` is true when any feature drifts. Exit 0
either way unless `--fail-on-drift` is given (then 1 on drift).

The current data is a csv/parquet table, or the scoring inputs Azure ML's data collector logged (a folder of
its JSON Lines, `datascience.collected`), of which `--since` keeps the recent ones. No row in the window is no
drift, with a `note` saying nothing was compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from datascience.collected import collected_files, parse_time, read_collected
from datascience.contract import Contract, ContractError, load_contract
from datascience.features import MISSING_CATEGORY, model_frame
from datascience.tables import read_table

EPSILON = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI between two count (or frequency) vectors over the same bins."""
    p = np.asarray(expected, dtype="float64")
    q = np.asarray(actual, dtype="float64")
    p = np.clip(p / max(p.sum(), 1.0), EPSILON, None)
    q = np.clip(q / max(q.sum(), 1.0), EPSILON, None)
    return float(np.sum((q - p) * np.log(q / p)))


def numeric_drift(reference: np.ndarray, current: np.ndarray, *, bins: int = 10) -> dict[str, float]:
    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    if len(ref) == 0 or len(cur) == 0:
        return {"psi": float("inf") if len(ref) != len(cur) else 0.0, "ks": 1.0, "ks_pvalue": 0.0}
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1])
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
    ref_counts = np.append(ref_counts, np.isnan(reference).sum())
    cur_counts = np.append(cur_counts, np.isnan(current).sum())
    test = stats.ks_2samp(ref, cur)
    return {"psi": psi(ref_counts, cur_counts), "ks": float(test.statistic), "ks_pvalue": float(test.pvalue)}


def categorical_drift(
    reference: pd.Series, current: pd.Series, categories: Sequence[str] | None
) -> dict[str, float]:
    known = list(categories) if categories else sorted(set(reference.dropna().astype(str)))
    levels = [*known, "other", MISSING_CATEGORY]

    def counts(values: pd.Series) -> np.ndarray:
        text = values.astype(str)
        mapped = text.where(text.isin(known) | (text == MISSING_CATEGORY), "other")
        return mapped.value_counts().reindex(levels, fill_value=0).to_numpy()

    return {"psi": psi(counts(reference), counts(current))}


def compare(
    reference: pd.DataFrame, current: pd.DataFrame, contract: Contract, *, threshold: float
) -> dict[str, Any]:
    ref, cur = model_frame(reference, contract), model_frame(current, contract)
    features: dict[str, Any] = {}
    for spec in contract.model_inputs:
        if spec.kind == "numeric":
            stat = numeric_drift(ref[spec.name].to_numpy("float64"), cur[spec.name].to_numpy("float64"))
            stat["kind"] = "numeric"
        else:
            stat = categorical_drift(ref[spec.name], cur[spec.name], contract.column(spec.source).categories)
            stat["kind"] = "categorical"
        stat["drifted"] = bool(stat["psi"] > threshold)
        features[spec.name] = stat
    return {
        "drifted": any(f["drifted"] for f in features.values()),
        "threshold": threshold,
        "reference_rows": len(reference),
        "current_rows": len(current),
        "drifted_features": [name for name, f in features.items() if f["drifted"]],
        "features": features,
    }


def read_current(current: Path, *, since: datetime | None = None) -> pd.DataFrame:
    """The current data: a data collector's JSON Lines (logged at or after `since`) when `current` holds
    any, else csv/parquet tables (`since` does not apply to those)."""
    if collected_files(current):
        return read_collected(current, since=since)
    return read_table(current)


def no_current_rows(reference: pd.DataFrame, threshold: float, since: datetime | None) -> dict[str, Any]:
    """The report when nothing was scored in the window: no drift can be measured, so none is reported."""
    window = f" since {since.isoformat()}" if since else ""
    return {
        "drifted": False,
        "threshold": threshold,
        "reference_rows": len(reference),
        "current_rows": 0,
        "drifted_features": [],
        "features": {},
        "note": f"no scoring inputs were collected{window}: nothing to compare",
    }


def run(
    contract_path: Path,
    reference: Path,
    current: Path,
    output: Path,
    *,
    threshold: float,
    since: datetime | None = None,
) -> dict[str, Any]:
    contract = load_contract(contract_path)
    reference_frame, current_frame = read_table(reference), read_current(current, since=since)
    if current_frame.empty:
        report = no_current_rows(reference_frame, threshold, since)
    else:
        report = compare(reference_frame, current_frame, contract, threshold=threshold)
    if since is not None:
        report["since"] = since.isoformat()
    output.mkdir(parents=True, exist_ok=True)
    (output / "drift.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m datascience.drift", description=__doc__.splitlines()[0])
    parser.add_argument("--contract", type=Path, required=True, help="Dataset contract (contract.yml).")
    parser.add_argument(
        "--reference", type=Path, required=True, help="Reference data (the training snapshot)."
    )
    parser.add_argument(
        "--current",
        type=Path,
        required=True,
        help="Current data: csv/parquet, or a data collector's folder of JSON Lines (recent scoring inputs).",
    )
    parser.add_argument(
        "--since",
        type=_since,
        default=None,
        help="ISO 8601 time: only collected inputs logged at or after it (JSON Lines only).",
    )
    parser.add_argument("--output", type=Path, required=True, help="Folder for drift.json.")
    parser.add_argument("--threshold", type=float, default=0.2, help="PSI above which a feature drifts.")
    parser.add_argument(
        "--fail-on-drift",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="Exit 1 when drift is found.",
    )
    return parser


def _since(value: str) -> datetime:
    try:
        return parse_time(value)
    except (TypeError, ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = run(
            args.contract,
            args.reference,
            args.current,
            args.output,
            threshold=args.threshold,
            since=args.since,
        )
    except ContractError as error:
        print(f"drift: {error}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, KeyError) as error:
        print(f"drift: {error}", file=sys.stderr)
        return 1
    if report.get("note"):
        print(f"drift: {report['note']}", file=sys.stderr)
    elif report["drifted"]:
        print(f"drift: drift in {', '.join(report['drifted_features'])}", file=sys.stderr)
    else:
        print("drift: no feature drifted", file=sys.stderr)
    return 1 if report["drifted"] and args.fail_on_drift else 0


if __name__ == "__main__":
    raise SystemExit(main())
