"""Test-wide settings: nothing here may reach the network or write outside tmp_path."""

import os

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime's 1DS usage telemetry
os.environ.setdefault("ACT_DISABLE_VERSION_CHECK", "1")


@pytest.fixture(scope="session")
def azureml_service(tmp_path_factory: pytest.TempPathFactory):
    """The emulated Azure ML service (with Azurite), started once per test run, stopped at its end."""
    from azureml_emulator import AzureMLEmulator

    emulator = AzureMLEmulator(tmp_path_factory.mktemp("azureml-service")).start()
    yield emulator
    emulator.stop()
