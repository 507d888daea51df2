"""A data asset version's validation record: what `validate-data` tags it with, what `run-pipeline` checks.

`validate-data` tags the version it validated (through `Backend.tag_data`, so it works whatever registered
the data) with its outcome, the digest of the contract it validated against and the time. `run-pipeline`
refuses a bound version whose record says `failed`, names another contract than the one the pipeline
trains with, or is missing (`--allow-unvalidated` overrides). The record is the latest validation only:
validating again against another contract replaces it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from amlops.backends.base import DataAsset

STATUS_TAG = "amlops.validation"
CONTRACT_TAG = "amlops.validation.contract"
AT_TAG = "amlops.validation.at"
PASSED = "passed"
FAILED = "failed"


def contract_digest(path: Path) -> str:
    """sha256 of the contract's bytes (not its name: a copy of the same contract is the same contract)."""
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def reuse_key(*, data_hash: str, contract: str, validator: str) -> str:
    """The key under which a passed validation is kept for reuse: the same bytes (the data's content hash),
    the same contract (its digest) and the same validator (component definition, code, lock file) give
    the same outcome, so validating them again (PR CI, then train-model, on the same sample) is skipped."""
    text = f"data {data_hash}\ncontract {contract}\nvalidator {validator}\n"
    return hashlib.sha256(text.encode()).hexdigest()


def validation_tags(*, passed: bool, contract: str) -> dict[str, str]:
    return {
        STATUS_TAG: PASSED if passed else FAILED,
        CONTRACT_TAG: contract,
        AT_TAG: datetime.now(UTC).isoformat(timespec="seconds"),
    }


def record(tags: Mapping[str, str]) -> dict[str, str] | None:
    """The validation record among a data version's tags (None when it was never validated)."""
    if STATUS_TAG not in tags:
        return None
    return {"status": tags[STATUS_TAG], "contract": tags.get(CONTRACT_TAG, ""), "at": tags.get(AT_TAG, "")}


def refusal(asset: DataAsset, contract: str) -> str | None:
    """Why training on `asset` with the contract of digest `contract` is refused; None when it may."""
    found = record(asset.tags)
    if found is None:
        return "was never validated"
    when = f" at {found['at']}" if found["at"] else ""
    same = found["contract"] == contract
    if found["status"] != PASSED:
        against = "the current contract" if same else "an earlier contract"
        return f"failed validation against {against}{when}"
    if not same:
        return (
            f"was validated{when} against another contract ({found['contract'][:19] or 'unknown'}…), "
            f"not the one this pipeline trains with ({contract[:19]}…)"
        )
    return None
