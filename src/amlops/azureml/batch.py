"""Model batch deployments (`modelBatchDeployment` YAML) read and run on this machine, as Azure ML runs them.

Azure ML runs a model batch deployment's scoring script like this, and so does `run_batch_deployment`:
`init()` once, with `AZUREML_MODEL_DIR` naming the model's files; then `run(mini_batch)` for each group of
`mini_batch_size` input files (a list of paths), retried up to `retry_settings.max_retries` times, each try
bounded by `retry_settings.timeout` seconds. A mini-batch that still fails counts its files as failed; with
`error_threshold` other than -1 the job fails once more files than that failed. With `append_row`, what
`run` returns is appended to `output_file_name` (rows without a header, values separated by spaces, as the
service writes them); with `summary_only` the script writes its own files into the job's output folder,
named by `AZUREML_BI_OUTPUT_PATH`. The process entry point is `amlops.azureml.batch_driver`.

Pure Python with PyYAML: no azure-ai-ml. The azure backend builds its `ModelBatchDeployment` entity from the
same `BatchDeploymentSpec`, so one parser checks the file for both backends.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from amlops import processes
from amlops.azureml.errors import PipelineSpecError
from amlops.azureml.spec import check_keys, code_dir, load_yaml
from amlops.yamlsource import YMap

OUTPUT_ACTIONS = ("append_row", "summary_only")
_TOP_KEYS = frozenset(
    {
        "$schema",
        "name",
        "endpoint_name",
        "type",
        "description",
        "tags",
        "properties",
        "model",
        "code_configuration",
        "environment",
        "compute",
        "resources",
        "settings",
    }
)
_SETTINGS_KEYS = frozenset(
    {
        "mini_batch_size",
        "instance_count",
        "max_concurrency_per_instance",
        "output_action",
        "output_file_name",
        "retry_settings",
        "environment_variables",
        "error_threshold",
        "logging_level",
    }
)
LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class BatchSettings:
    """`settings:` of a model batch deployment, with the service's defaults."""

    mini_batch_size: int = 10
    output_action: str = "append_row"
    output_file_name: str = "predictions.csv"
    error_threshold: int = -1
    max_retries: int = 3
    timeout_s: int = 30
    instance_count: int = 1
    max_concurrency_per_instance: int = 1
    logging_level: str = "info"
    environment_variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def as_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k != "environment_variables"}
        return json.dumps({**data, "environment_variables": dict(self.environment_variables)})

    @classmethod
    def from_json(cls, text: str) -> BatchSettings:
        data = json.loads(text)
        env = MappingProxyType({str(k): str(v) for k, v in (data.pop("environment_variables") or {}).items()})
        return cls(**data, environment_variables=env)


@dataclass(frozen=True)
class BatchDeploymentSpec:
    source: Path
    name: str | None
    endpoint_name: str | None
    description: str | None
    code: Path
    scoring_script: str
    environment: Mapping[str, Any]
    compute: str | None
    settings: BatchSettings

    @property
    def script(self) -> Path:
        return self.code / self.scoring_script


def _int(node: YMap, key: str, default: int, *, file: Path, minimum: int) -> int:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PipelineSpecError(
            f"settings.{key} must be an integer >= {minimum}, got {value!r}",
            file=file,
            line=node.line_of(key),
        )
    return value


def parse_batch_settings(
    node: object, *, file: Path, line: int | None = None, instance_count: int = 1
) -> BatchSettings:
    """`settings:` to `BatchSettings`; `instance_count` comes from `resources` (settings may override)."""
    if node is None:
        return BatchSettings(instance_count=instance_count)
    if not isinstance(node, dict):
        raise PipelineSpecError("settings must be a mapping", file=file, line=line)
    settings = node if isinstance(node, YMap) else YMap(node)
    check_keys(settings, _SETTINGS_KEYS, "settings", file=file)
    action = str(settings.get("output_action", "append_row"))
    if action not in OUTPUT_ACTIONS:
        raise PipelineSpecError(
            f"settings.output_action must be one of {', '.join(OUTPUT_ACTIONS)}, got {action!r}",
            file=file,
            line=settings.line_of("output_action"),
        )
    output_file = str(settings.get("output_file_name", "predictions.csv"))
    if not output_file or "/" in output_file or output_file.startswith("."):
        raise PipelineSpecError(
            f"settings.output_file_name must be a plain file name, got {output_file!r}",
            file=file,
            line=settings.line_of("output_file_name"),
        )
    retry = settings.get("retry_settings") or YMap()
    if not isinstance(retry, dict):
        raise PipelineSpecError(
            "settings.retry_settings must be a mapping", file=file, line=settings.line_of("retry_settings")
        )
    retry = retry if isinstance(retry, YMap) else YMap(retry)
    env = settings.get("environment_variables") or {}
    if not isinstance(env, dict) or any(isinstance(v, dict | list) for v in env.values()):
        raise PipelineSpecError(
            "settings.environment_variables must map names to scalars",
            file=file,
            line=settings.line_of("environment_variables"),
        )
    return BatchSettings(
        mini_batch_size=_int(settings, "mini_batch_size", 10, file=file, minimum=1),
        output_action=action,
        output_file_name=output_file,
        error_threshold=_int(settings, "error_threshold", -1, file=file, minimum=-1),
        max_retries=_int(retry, "max_retries", 3, file=file, minimum=0),
        timeout_s=_int(retry, "timeout", 30, file=file, minimum=1),
        instance_count=_int(settings, "instance_count", instance_count, file=file, minimum=1),
        max_concurrency_per_instance=_int(settings, "max_concurrency_per_instance", 1, file=file, minimum=1),
        logging_level=str(settings.get("logging_level", "info")),
        environment_variables=MappingProxyType({str(k): str(v) for k, v in env.items()}),
    )


def load_batch_deployment(path: Path) -> BatchDeploymentSpec:
    """Read a `modelBatchDeployment` file; anything wrong names the file, the line and the key."""
    path = Path(path).resolve()
    node = load_yaml(path)
    if not isinstance(node, YMap):
        raise PipelineSpecError("a batch deployment file must hold a mapping", file=path, line=1)
    check_keys(node, _TOP_KEYS, "the batch deployment", file=path)
    kind = node.get("type", "model")
    if kind != "model":
        raise PipelineSpecError(
            f"batch deployment type {kind!r} is not supported; use 'model' (a scoring script over files)",
            file=path,
            line=node.line_of("type"),
        )
    config = node.get("code_configuration")
    if not isinstance(config, dict) or not config.get("code") or not config.get("scoring_script"):
        raise PipelineSpecError(
            "code_configuration needs `code` and `scoring_script`",
            file=path,
            line=node.line_of("code_configuration"),
        )
    code = code_dir(config["code"], base_dir=path.parent, file=path, line=node.line_of("code_configuration"))
    assert code is not None  # `code` is set: checked above
    script = str(config["scoring_script"])
    if not (code / script).is_file():
        raise PipelineSpecError(
            f"scoring script {script!r} is not in the code folder {code}",
            file=path,
            line=node.line_of("code_configuration"),
        )
    resources = node.get("resources") or {}
    instances = resources.get("instance_count", 1) if isinstance(resources, dict) else 1
    if isinstance(instances, bool) or not isinstance(instances, int) or instances < 1:
        raise PipelineSpecError(
            f"resources.instance_count must be an integer >= 1, got {instances!r}",
            file=path,
            line=node.line_of("resources"),
        )
    environment = node.get("environment") or {}
    if isinstance(environment, dict) and environment.get("conda_file"):
        conda = (path.parent / str(environment["conda_file"])).resolve()
        if not conda.is_file():
            raise PipelineSpecError(
                f"environment.conda_file {environment['conda_file']!r} does not exist ({conda})",
                file=path,
                line=node.line_of("environment"),
            )
    if isinstance(environment, dict):
        environment = {
            **environment,
            **(
                {"conda_file": str((path.parent / str(environment["conda_file"])).resolve())}
                if environment.get("conda_file")
                else {}
            ),
        }
    compute = node.get("compute")
    return BatchDeploymentSpec(
        source=path,
        name=None if node.get("name") is None else str(node["name"]),
        endpoint_name=None if node.get("endpoint_name") is None else str(node["endpoint_name"]),
        description=None if node.get("description") is None else str(node["description"]),
        code=code,
        scoring_script=script,
        environment=MappingProxyType(environment) if isinstance(environment, dict) else environment,
        compute=None if compute is None else str(compute).removeprefix("azureml:"),
        settings=parse_batch_settings(
            node.get("settings"), file=path, line=node.line_of("settings"), instance_count=instances
        ),
    )


@dataclass(frozen=True)
class BatchRunResult:
    succeeded: bool
    exit_code: int
    output_dir: Path
    log_path: Path
    log_tail: str


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_batch_deployment(
    *,
    code: Path,
    scoring_script: str,
    settings: BatchSettings,
    model_dir: Path,
    input_path: Path,
    output_dir: Path,
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> BatchRunResult:
    """Score `input_path` (a file or folder) with the scoring script in its own process; never raises for a
    script that fails (the result says so, with the end of its log)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    base = dict(os.environ if env is None else env)
    environ = {
        **base,
        **settings.environment_variables,
        "PYTHONPATH": os.pathsep.join(p for p in (str(code), base.get("PYTHONPATH", "")) if p),
        "AZUREML_MODEL_DIR": str(model_dir),
        "AZUREML_BI_OUTPUT_PATH": str(output_dir),
        "PYTHONUNBUFFERED": "1",
    }
    argv = [
        sys.executable,
        "-m",
        "amlops.azureml.batch_driver",
        "--code",
        str(code),
        "--scoring-script",
        scoring_script,
        "--input",
        str(input_path),
        "--output",
        str(output_dir),
        "--settings",
        settings.as_json(),
    ]
    with log_path.open("a", encoding="utf-8") as log:
        ended = processes.supervise(processes.start(argv, cwd=code, env=environ, merge_stderr=True), log=log)
    return BatchRunResult(
        succeeded=ended.code == 0,
        exit_code=ended.code,
        output_dir=output_dir,
        log_path=log_path,
        log_tail=_tail(log_path),
    )
