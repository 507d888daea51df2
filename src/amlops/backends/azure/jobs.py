"""Pipeline and command jobs on Azure ML: submit with azure-ai-ml, follow with a timeout, download.

`run_pipeline` loads the job file with `load_job` (the same YAML the local executor runs), overrides its
inputs, points it at the compute from the workspace settings (a cluster name or `serverless`), tags it
with lineage, submits it and polls the parent and its child runs until a terminal status (progress per
step through `on_event`). Completed: the named outputs are downloaded under the state folder
(`<state>/azure/runs/<job>/outputs/<name>/`) for the gate. Failed/Canceled: the failing step and the tail
of its `user_logs/std_log.txt`. Gate decisions (`decision.json`) are kept beside the outputs: the gate and
register-model steps run in the same CI job.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amlops.backends.azure.client import Connection
from amlops.backends.azure.errors import service_call
from amlops.backends.base import COMPLETED, FAILED, ComponentRun, EventCallback, PipelineRun
from amlops.errors import ConfigError, FailedError, NotFoundError, UsageError
from amlops.lineage import run_tags

TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")
POLL_ENV = "AMLOPS_AZURE_POLL_S"
TIMEOUT_ENV = "AMLOPS_AZURE_JOB_TIMEOUT_S"
RUN_FILES = {"decision.json"}
LOG_TAIL_LINES = 30


def poll_interval() -> float:
    return float(os.environ.get(POLL_ENV, "10"))


def job_timeout() -> float:
    return float(os.environ.get(TIMEOUT_ENV, str(6 * 3600)))


class StepNotice:
    """What `on_event` receives (the shape of the local executor's StepEvent: step, kind, message)."""

    def __init__(self, step: str, kind: str, message: str) -> None:
        self.step, self.kind, self.message = step, kind, message

    def __str__(self) -> str:
        return f"[{self.step}] {self.message}"


_KINDS = {"Running": "started", "Completed": "completed", "Failed": "failed", "Canceled": "skipped"}


def status_text(status: Any) -> str:
    """azure-ai-ml returns statuses as str enums (`JobStatus.COMPLETED`) or plain strings."""
    return str(getattr(status, "value", status) or "")


def _load_error(path: Path, exc: Exception) -> ConfigError:
    return ConfigError(f"{path}: azure-ai-ml cannot load it: {' '.join(str(exc).split())[:600]}")


class AzureJobs:
    def __init__(self, connection: Connection, state_dir: Path, project_root: Path, data: Any) -> None:
        self.connection = connection
        self.root = state_dir / "azure" / "runs"
        self.project_root = project_root
        self.data = data

    # --- submission ---------------------------------------------------------------------------------
    def _input(self, declared: Any, value: Any) -> Any:
        from azure.ai.ml import Input

        kind = getattr(declared, "type", None) if declared is not None else None
        if isinstance(value, Path) or (isinstance(value, str) and value.startswith("azureml:")):
            return Input(type=kind or "uri_file", path=str(value))
        if kind in ("uri_file", "uri_folder", "mlflow_model", "custom_model") and isinstance(value, str):
            return Input(type=kind, path=str(Path(value).resolve()) if "://" not in value else value)
        return value

    def _bind(self, declared: Mapping[str, Any], inputs: Mapping[str, Any], file: Path) -> dict[str, Any]:
        """SDK values for `inputs`, typed by the inputs `file` declares (UsageError names an unknown one)."""
        values = {}
        for key, value in inputs.items():
            if key not in declared:
                raise UsageError(f"{file.name} has no input {key!r} (inputs: {', '.join(sorted(declared))})")
            values[key] = self._input(declared[key], value)
        return values

    def _lineage(self, inputs: Mapping[str, Any]) -> dict[str, str]:
        assets = [
            self.data.get_data(*value.removeprefix("azureml:").split(":"))
            for value in inputs.values()
            if isinstance(value, str) and value.startswith("azureml:") and value.count(":") == 2
        ]
        return run_tags(self.project_root, assets, inputs)

    def run_pipeline(
        self,
        job_file: Path,
        *,
        inputs: Mapping[str, Any],
        tags: Mapping[str, str] | None = None,
        on_event: EventCallback | None = None,
    ) -> PipelineRun:
        from azure.ai.ml import load_job
        from azure.ai.ml.entities import PipelineJob

        job_file = Path(job_file).resolve()
        if not job_file.is_file():
            raise NotFoundError(f"no pipeline job file at {job_file}")
        try:
            job = load_job(job_file)
        except Exception as exc:
            raise _load_error(job_file, exc) from None
        if not isinstance(job, PipelineJob):
            raise ConfigError(f"{job_file} is not a pipeline job (type: {type(job).__name__})")
        declared = {k: v._data if hasattr(v._data, "type") else None for k, v in job.inputs.items()}
        for key, value in self._bind(declared, inputs, job_file).items():
            setattr(job.inputs, key, value)
        compute = self.connection.workspace.compute
        if compute:
            job.settings.default_compute = compute
        lineage = {**self._lineage(inputs), **(tags or {})}
        job.tags = {**(job.tags or {}), **lineage}
        experiment = job.experiment_name or job_file.stem
        with contextlib.chdir(job_file.parent), service_call("submit pipeline job", job_file.name):
            submitted = self.connection.ml.jobs.create_or_update(job, experiment_name=experiment)
        name = submitted.name
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "run_id": name,
            "job_file": str(job_file),
            "inputs": {k: str(v) for k, v in inputs.items()},
            "tags": lineage,
            "started": time.time(),
        }
        (folder / "amlops.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if on_event:
            on_event(
                StepNotice("pipeline", "log", f"submitted {name} to {compute or 'the job default compute'}")
            )
        self.wait(name, on_event)
        meta["duration_s"] = round(time.time() - meta["started"], 1)
        (folder / "amlops.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return self.get_run(name)

    def _children(self, name: str) -> list[Any]:
        with service_call("list the steps of job", name):
            return list(self.connection.ml.jobs.list(parent_job_name=name))

    def wait(self, name: str, on_event: EventCallback | None) -> str:
        """Poll job `name` until a terminal status (returned); FailedError after the job timeout."""
        deadline = time.monotonic() + job_timeout()
        seen: dict[str, str] = {}
        while True:
            with service_call("get job", name):
                status = status_text(self.connection.ml.jobs.get(name).status)
            if on_event:
                for child in self._children(name):
                    step = child.display_name or child.name
                    child_status = status_text(child.status)
                    if seen.get(step) != child_status and child_status in _KINDS:
                        seen[step] = child_status
                        on_event(StepNotice(step, _KINDS[child_status], child_status.lower()))
            if status in TERMINAL:
                return status
            if time.monotonic() > deadline:
                raise FailedError(
                    f"job {name} is still {status} after {job_timeout():.0f} s ({TIMEOUT_ENV}); "
                    "it keeps running on Azure ML: cancel it there or wait and re-run the gate with its id",
                    result={"run_id": name, "status": status},
                )
            time.sleep(poll_interval())

    # --- reading runs -------------------------------------------------------------------------------
    def _download(self, name: str, output: str, target: Path) -> Path | None:
        if target.exists():
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.root) as scratch:
            with service_call("download output of job", f"{name}/{output}"):
                self.connection.ml.jobs.download(name, output_name=output, download_path=scratch)
            found = Path(scratch) / "named-outputs" / output
            if not found.exists():
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(found), target)
        return target

    def _log_tail(self, name: str) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.root) as scratch:
            try:
                with service_call("download logs of job", name):
                    self.connection.ml.jobs.download(name, download_path=scratch)
            except Exception:  # logs are a courtesy: the failure itself is reported either way
                return ""
            logs = sorted(Path(scratch).rglob("std_log*.txt"))
            if not logs:
                return ""
            lines = logs[0].read_text(encoding="utf-8", errors="replace").splitlines()
            return "\n".join(lines[-LOG_TAIL_LINES:])

    def get_run(self, run_id: str) -> PipelineRun:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise UsageError(f"invalid run id {run_id!r}")
        with service_call("get job", run_id):
            job = self.connection.ml.jobs.get(run_id)
        folder = self.root / run_id
        folder.mkdir(parents=True, exist_ok=True)
        status = status_text(job.status)
        steps: dict[str, str] = {}
        failed_step = None
        error = None
        outputs: dict[str, Path] = {}
        if getattr(job, "jobs", None):
            for child in self._children(run_id):
                steps[child.display_name or child.name] = status_text(child.status)
                if status_text(child.status) == "Failed" and failed_step is None:
                    failed_step = child.display_name or child.name
                    error = f"step {failed_step!r} failed on Azure ML (child job {child.name})"
                    tail = self._log_tail(child.name)
                    if tail:
                        error += f"; end of its log:\n{tail}"
        if status == "Completed":
            for output in job.outputs or {}:
                if output == "default":
                    continue
                local = self._download(run_id, output, folder / "outputs" / output)
                if local is not None:
                    outputs[output] = local
        elif status in TERMINAL and error is None:
            error = f"job {run_id} ended {status} on Azure ML"
        tags = {k: str(v) for k, v in (job.tags or {}).items()}
        return PipelineRun(
            run_id=run_id,
            status=COMPLETED if status == "Completed" else (FAILED if status in TERMINAL else status),
            run_dir=folder,
            job_file=tags.get("job_file", ""),
            inputs={},
            outputs=outputs,
            tags=tags,
            steps=steps,
            failed_step=failed_step,
            error=error,
            started_at=str(job.creation_context.created_at) if job.creation_context else "",
            duration_s=self._duration(run_id),
        )

    def _duration(self, run_id: str) -> float | None:
        """Seconds from submission to a terminal status, when this state folder submitted the run."""
        try:
            return json.loads((self.root / run_id / "amlops.json").read_text(encoding="utf-8")).get(
                "duration_s"
            )
        except (OSError, ValueError):
            return None

    def list_runs(self, limit: int = 10) -> list[PipelineRun]:
        with service_call("list jobs"):
            jobs = []
            for job in self.connection.ml.jobs.list():
                jobs.append(job)
                if len(jobs) >= limit:
                    break
        return [
            PipelineRun(
                run_id=j.name,
                status=status_text(j.status),
                run_dir=self.root / j.name,
                job_file="",
                tags={k: str(v) for k, v in (j.tags or {}).items()},
            )
            for j in jobs
        ]

    def write_run_file(self, run_id: str, name: str, content: str) -> Path:
        if name not in RUN_FILES:
            raise UsageError(f"run files are limited to {sorted(RUN_FILES)}")
        self.get_run(run_id)
        path = self.root / run_id / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
        return path

    def read_run_file(self, run_id: str, name: str) -> str | None:
        path = self.root / run_id / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    # --- single components --------------------------------------------------------------------------
    def run_component(
        self,
        component_file: Path,
        *,
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Path] | None = None,
        label: str = "",
        on_event: EventCallback | None = None,
    ) -> ComponentRun:
        from azure.ai.ml import load_component

        component_file = Path(component_file).resolve()
        if not component_file.is_file():
            raise NotFoundError(f"no component spec at {component_file}")
        try:
            component = load_component(component_file)
        except Exception as exc:
            raise _load_error(component_file, exc) from None
        values = self._bind(component.inputs, inputs, component_file)
        compute = self.connection.workspace.compute
        # azure-ai-ml resolves a node's relative `code:` against the working folder when the node is made,
        # and leaves it without the component's environment: build it from the component's folder.
        with contextlib.chdir(component_file.parent):
            node = component(**values)
            for key in [k for k, v in node.inputs.items() if v._data is None]:
                node.inputs.pop(key)  # unset optional inputs: the SDK cannot serialise None
            node.environment = component.environment
            if compute and compute != "serverless":
                node.compute = compute
            node.display_name = label or component_file.stem
            with service_call("submit job for", component_file.name):
                submitted = self.connection.ml.jobs.create_or_update(
                    node, experiment_name=component_file.stem
                )
        name = submitted.name
        status = self.wait(name, None)
        folder = self.root / name
        downloaded: dict[str, Path] = {}
        if status == "Completed":
            for output in component.outputs:
                target = (
                    Path(outputs[output]) if outputs and output in outputs else folder / "outputs" / output
                )
                if target.exists() and outputs and output in outputs:
                    shutil.rmtree(target) if target.is_dir() else target.unlink()
                local = self._download(name, output, target)
                if local is not None:
                    downloaded[output] = local
        tail = self._log_tail(name)
        log_path = None
        if tail:
            log_path = folder / "std_log.txt"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text(tail + "\n", encoding="utf-8")
        return ComponentRun(
            component=component_file.stem,
            status=COMPLETED if status == "Completed" else FAILED,
            exit_code=0 if status == "Completed" else 1,
            outputs=downloaded,
            log_path=log_path,
            log_tail=tail,
        )
