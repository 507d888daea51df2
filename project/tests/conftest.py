"""Test-wide settings: no telemetry, no version checks, nothing written outside tmp_path."""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("ACT_DISABLE_VERSION_CHECK", "1")
