"""A dataset the repository does not ship, made at test time: a team's own data swapped into a project.

Loan applications and whether they were repaid. It differs from both shipped examples (taxi fares:
regression with an id column; iris: three floats and a three-class target): a binary target whose classes
are not in alphabetical order, a bool feature, nullable float, int and category features with missing
values, a timestamp deriving only `month`, and no id column. The outcome follows a rule on the features with
3 % of labels flipped, so the shipped gate (accuracy and f1_macro >= 0.8) passes a model trained on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CONTRACT = """\
# Loan applications: was the loan repaid? Written by a team for its own data (binary classification).
name: loan-outcomes
description: Loan applications and whether they were repaid.
task: classification
target: outcome
columns:
  - name: applied_at
    type: datetime
    role: timestamp
    min: "2023-01-01T00:00:00"
    max: "2024-12-31T23:59:59"
    derive: [month]
  - name: income_k
    type: float
    nullable: true
    min: 0
    max: 400
    description: Yearly income in thousands; not always declared.
  - name: years_employed
    type: int
    nullable: true
    min: 0
    max: 45
  - name: has_guarantor
    type: bool
  - name: region
    type: category
    nullable: true
    categories: [north, south, east, west]
  - name: purpose
    type: category
    categories: [car, home, education, other]
  - name: outcome
    type: category
    categories: [repaid, defaulted]
"""

FEATURES = ("applied_at", "income_k", "years_employed", "has_guarantor", "region", "purpose")
TARGET = "outcome"
CLASSES = ("repaid", "defaulted")


def loan_table(rows: int = 1200, *, seed: int = 3) -> Any:
    """The data (a pandas DataFrame) following CONTRACT; missing values in the three nullable columns."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    income = rng.gamma(4.0, 15.0, rows).round(1)
    years = rng.integers(0, 30, rows)
    guarantor = rng.random(rows) < 0.3
    region = rng.choice(["north", "south", "east", "west"], rows).astype(object)
    purpose = rng.choice(["car", "home", "education", "other"], rows)
    seconds = rng.integers(0, 700 * 24 * 3600, rows)
    applied = pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s")
    risky = ((income < 45) & ~guarantor) | ((years < 2) & (purpose == "other"))
    flipped = rng.random(rows) < 0.03
    frame = pd.DataFrame(
        {
            "applied_at": applied,
            "income_k": income,
            "years_employed": pd.array(years, dtype="Int64"),
            "has_guarantor": guarantor,
            "region": region,
            "purpose": purpose,
            TARGET: np.where(risky ^ flipped, "defaulted", "repaid"),
        }
    )
    frame.loc[rng.random(rows) < 0.05, "income_k"] = np.nan
    frame.loc[rng.random(rows) < 0.05, "years_employed"] = pd.NA
    frame.loc[rng.random(rows) < 0.08, "region"] = None
    return frame


def write_dataset(contract: Path, data: Path, *, rows: int = 1200, seed: int = 3) -> None:
    """CONTRACT into `contract` and the table into `data` (parquet or csv, by suffix)."""
    contract.write_text(CONTRACT, encoding="utf-8")
    frame = loan_table(rows, seed=seed)
    if data.suffix == ".csv":
        frame.to_csv(data, index=False)
    else:
        frame.to_parquet(data, index=False)


def as_request(frame: Any) -> dict[str, Any]:
    """`{"data": [...]}` of the feature columns, as a client would write it by hand (ISO date-times, JSON
    null for missing values), independently of the product's own conversion."""
    import pandas as pd

    records = []
    for row in frame[list(FEATURES)].itertuples(index=False):
        applied_at, income_k, years, guarantor, region, purpose = row
        records.append(
            {
                "applied_at": pd.Timestamp(applied_at).strftime("%Y-%m-%dT%H:%M:%S"),
                "income_k": None if pd.isna(income_k) else float(income_k),
                "years_employed": None if pd.isna(years) else int(years),
                "has_guarantor": bool(guarantor),
                "region": None if pd.isna(region) else str(region),
                "purpose": str(purpose),
            }
        )
    return {"data": records}
