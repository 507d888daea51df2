"""amlops: run the MLOps template's pipelines locally or on Azure Machine Learning."""

import os

__version__ = "0.1.0"

# onnxruntime (1.2x and newer, Linux too) sends usage telemetry to Microsoft unless this is set; every
# amlops process and what it starts (components, scoring servers) inherit it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
