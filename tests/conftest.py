"""Test-wide settings: nothing here may reach the network or write outside tmp_path."""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("ACT_DISABLE_VERSION_CHECK", "1")
