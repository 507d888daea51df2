"""Run Azure ML pipeline jobs and command components (CLI v2 YAML) on this machine, steps as processes.

Pure Python: no `azure-ai-ml` import, so it starts fast; the YAML is read with PyYAML.

    result = run_pipeline_job(Path("pipelines/azureml/train-pipeline.yml"), run_dir=Path(".amlops/runs/1"))
    result.status, result.steps["train"].log_path, result.outputs["model_bundle"]
"""

from amlops.azureml.errors import AzureMLExecutorError, BindingError, CycleError, PipelineSpecError
from amlops.azureml.runner import (
    PipelineRunResult,
    StepEvent,
    StepResult,
    run_command_component,
    run_pipeline_job,
)
from amlops.azureml.spec import ComponentSpec, PipelineJob, load_component, load_pipeline_job

__all__ = [
    "AzureMLExecutorError",
    "BindingError",
    "ComponentSpec",
    "CycleError",
    "PipelineJob",
    "PipelineRunResult",
    "PipelineSpecError",
    "StepEvent",
    "StepResult",
    "load_component",
    "load_pipeline_job",
    "run_command_component",
    "run_pipeline_job",
]
