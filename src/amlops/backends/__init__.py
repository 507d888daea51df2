"""Backends, registered in one dict: name -> "module:Class". Imported lazily, so the local path never
imports azure-ai-ml."""

from __future__ import annotations

import importlib

from amlops.backends.base import Backend
from amlops.config import Settings
from amlops.errors import NotImplementedInVersionError, UsageError

BACKENDS: dict[str, str] = {
    "local": "amlops.backends.local:LocalBackend",
    "azure": "amlops.backends.azure:AzureBackend",
}


def get_backend(settings: Settings) -> Backend:
    try:
        target = BACKENDS[settings.backend]
    except KeyError:
        raise UsageError(
            f"unknown backend {settings.backend!r}; choose one of: {', '.join(sorted(BACKENDS))}"
        ) from None
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise NotImplementedInVersionError(
                f"the {settings.backend!r} backend is not implemented in this version of amlops; "
                "use --backend local (a later release adds it)"
            ) from None
        raise
    return getattr(module, class_name)(settings)
