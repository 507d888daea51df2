"""amlops: run the MLOps template's pipelines locally or on Azure Machine Learning."""

__version__ = "0.1.0"
