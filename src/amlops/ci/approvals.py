"""The one approval rule of the local runner, for both dialects.

A job that deploys to a protected environment (an Azure DevOps deployment job's `environment:`, a GitHub
job's `environment:`) waits for an approval unless the run is approved (`amlops run --approve`).

An environment is protected when some part of its name (split at `-`, `_`, `.` and spaces) is one of
`protected` (default `prod`, `production`), case-insensitively: `prod`, `ml-prod`, `Production-EU`, not
`preprod-test` or `products`. A name still holding an expression the runner could not resolve before the
run (`${{ ... }}`) is protected too: better held than deployed by surprise.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from amlops.ci.result import Approval

PROTECTED = ("prod", "production")
"""The default names of the environments that need an approval."""


def needs_approval(environment: str, protected: Collection[str] = PROTECTED) -> bool:
    """Whether a job deploying to `environment` needs an approval (module doc)."""
    if "${{" in environment:
        return True
    wanted = {name.lower() for name in protected}
    return any(part in wanted for part in re.split(r"[-_.\s]+", environment.lower()))


def pending_approval(
    job: str, environments: Iterable[str], *, approve: bool, protected: Collection[str] = PROTECTED
) -> Approval | None:
    """The approval `job` waits for before it may run: its environments that need one (sorted, each once),
    or None when none does or the run is approved."""
    if approve:
        return None
    needing = sorted({e for e in environments if needs_approval(e, protected)})
    return Approval(job, tuple(needing)) if needing else None
