"""Settings: which backend, where local state lives, where the project's files are.

Every setting has a command-line option and an environment variable; the option wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BACKEND_ENV = "AMLOPS_BACKEND"
STATE_DIR_ENV = "AMLOPS_STATE_DIR"
PROJECT_DIR_ENV = "AMLOPS_PROJECT_DIR"
DEFAULT_BACKEND = "local"
DEFAULT_STATE_DIR_NAME = ".amlops"


@dataclass(frozen=True)
class ProjectPaths:
    """The project files amlops reads (see docs/interfaces.md); nothing here is hard-coded elsewhere."""

    root: Path

    @property
    def data_science(self) -> Path:
        return self.root / "data-science"

    @property
    def code_root(self) -> Path:
        """Code root of the components (the Python package `datascience` lives here)."""
        return self.data_science / "src"

    @property
    def contract(self) -> Path:
        return self.data_science / "contract.yml"

    @property
    def gate_config(self) -> Path:
        return self.data_science / "gate.yml"

    @property
    def components(self) -> Path:
        return self.data_science / "components"

    def component(self, name: str) -> Path:
        return self.components / f"{name}.yml"

    @property
    def azureml(self) -> Path:
        return self.root / "pipelines" / "azureml"

    @property
    def train_pipeline(self) -> Path:
        return self.azureml / "train-pipeline.yml"

    @property
    def online_deployment(self) -> Path:
        return self.azureml / "online-deployment.yml"

    @property
    def batch_deployment(self) -> Path:
        return self.azureml / "batch-deployment.yml"


@dataclass(frozen=True)
class Settings:
    backend: str
    state_dir: Path
    project: ProjectPaths


def resolve_settings(
    *,
    backend: str | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    project_dir: str | os.PathLike[str] | None = None,
    environ: os._Environ[str] | dict[str, str] | None = None,
) -> Settings:
    """Options first, then environment variables, then defaults (project = cwd, state = <project>/.amlops)."""
    env = os.environ if environ is None else environ
    root = Path(project_dir or env.get(PROJECT_DIR_ENV) or Path.cwd()).resolve()
    state = Path(state_dir or env.get(STATE_DIR_ENV) or root / DEFAULT_STATE_DIR_NAME).resolve()
    return Settings(
        backend=backend or env.get(BACKEND_ENV) or DEFAULT_BACKEND,
        state_dir=state,
        project=ProjectPaths(root),
    )
