"""Batch endpoints (not yet on Azure in this version: see the README's known gaps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amlops.backends.base import BatchJob, Deployment, Endpoint, ModelVersion
from amlops.errors import NotImplementedInVersionError


class AzureBatch:
    def __init__(self, connection: Any, registry: Any, jobs: Any, cache_dir: Path) -> None:
        self.connection = connection

    def list_endpoints(self) -> list[Endpoint]:
        return []

    def deploy_batch(
        self, endpoint: str, deployment: str, model: ModelVersion, *, component_file: Path
    ) -> Deployment:
        raise NotImplementedInVersionError("deploy-batch on the azure backend is not implemented yet")

    def run_batch(self, endpoint: str, *, input_dir: Path, output_dir: Path | None = None) -> BatchJob:
        raise NotImplementedInVersionError("deploy-batch on the azure backend is not implemented yet")
