"""The lifecycle's events from outside the repository, and how each CI dialect receives them.

The CI runner (`amlops.ci`) knows no MLOps event by name: it runs a GitHub `repository_dispatch` of a type
and an Azure DevOps run started through a `resources.webhooks` alias (`amlops.ci.dialects.ExternalEvent`).
This table says which type and which alias carry each lifecycle event; `triggers` and `run_pipeline` read
it, so a new event is one line here.
"""

from __future__ import annotations

from amlops.ci.dialects import ExternalEvent

MODEL_REGISTERED = "model-registered"
"""The registry update: a model version was registered (the record names model and version)."""

EXTERNAL_EVENTS: dict[str, ExternalEvent] = {
    MODEL_REGISTERED: ExternalEvent(dispatch_type="model-registered", webhook="modelRegistered"),
}


def external_event(event: str) -> ExternalEvent | None:
    """How the dialects receive `event`, or None for a repository event (push, pull_request, ...)."""
    return EXTERNAL_EVENTS.get(event)
