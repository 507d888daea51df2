"""Jobs that really run: a submitted pipeline (or command) job is rebuilt as CLI v2 YAML with local
paths (component specs from the stored components, code snapshots and inputs downloaded from Azurite)
and executed by the project's local Azure ML executor (`amlops.azureml`), steps as processes.

ARM (mfe.json `Jobs_CreateOrUpdate`, `Jobs_Get`, `Jobs_List`, `Jobs_Cancel`; recordings
pipeline_job/*): PUT answers 201 with `status: NotStarted`; the job moves Running -> Completed | Failed |
Canceled. Each step becomes a child run with its own outputs under
`azureml/<child run id>/<output>/` and its log at `ExperimentRun/dcid.<child run id>/user_logs/std_log.txt`
in the workspace blob container; pipeline outputs are written to `azureml/<job name>/<output>/`.
Run history (the `<region>.api.azureml.ms` host, found through the workspace's discoveryUrl) serves the
child runs, details and artifacts (rest of this module).
"""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from .arm import arm_error, not_found
from .http import Request, Response
from .store import now

TERMINAL = ("Completed", "Failed", "Canceled")
_PARENT = re.compile(r"\$\{\{\s*parent\.(inputs|outputs|jobs)\.([^}\s]+)\s*\}\}")
_LOCAL_UPLOAD = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/(?P<workspace>[^/]+)/)?"
    r"datastores/(?P<store>[^/]+)/paths/(?P<path>.+)$",
    re.IGNORECASE,
)
_ASSET_ID = re.compile(r"^azureml:(?P<id>/subscriptions/.+)$", re.IGNORECASE)


class Jobs:
    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.work = emulator.folder / "jobs"
        self.threads: list[threading.Thread] = []
        self.children: dict[str, list[dict[str, Any]]] = {}  # parent job name -> child runs
        self.runs: dict[str, dict[str, Any]] = {}  # run id -> run history record
        self._current = threading.local()  # the workspace of the job a thread runs
        arm = emulator.arm
        arm.route("PUT", r"/jobs/(?P<name>[^/]+)", self.put_job)
        arm.route("POST", r"/jobs/(?P<name>[^/]+)/cancel", self.cancel)
        arm.route("GET", r"/jobs", self.list_jobs)
        arm.route("GET", r"/jobs/(?P<name>[^/]+)", self.get_job)

    # --- ARM ----------------------------------------------------------------------------------------
    def put_job(self, request: Request, match: re.Match[str]) -> Response:
        name = match["name"]
        store = self.emulator.store
        existing = store.get(request.path)
        body = request.json() or {}
        properties = body.get("properties") or {}
        if existing is not None:
            # An existing job accepts new tags, display name and description only (as the service).
            old = existing["properties"]
            for key in ("tags", "displayName", "description"):
                if key in properties:
                    old[key] = properties[key]
            return Response.json(store.put(request.path, {"properties": old}))
        problem = self._check_compute(properties)
        if problem:
            return arm_error(400, "UserError", problem)
        properties.update(
            status="NotStarted",
            services={
                "Studio": {
                    "jobServiceType": "Studio",
                    "endpoint": f"https://ml.azure.com/runs/{name}?wsid={self.emulator.workspace_path}",
                },
                "Tracking": {"jobServiceType": "Tracking", "endpoint": "azureml://emulated"},
            },
        )
        if properties.get("jobType") == "Command":
            # A literal input without a value (an unset optional input) is not kept (assumed; the recordings
            # have no such case, and azure-ai-ml cannot parse it back).
            properties["inputs"] = {
                k: v
                for k, v in (properties.get("inputs") or {}).items()
                if not (isinstance(v, dict) and v.get("jobInputType") == "literal" and "value" not in v)
            }
            properties.setdefault("outputs", {})
            properties["outputs"]["default"] = {
                "jobOutputType": "uri_folder",
                "mode": "ReadWriteMount",
                "uri": f"azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.{name}",
            }
            properties.setdefault("properties", {})
        if properties.get("jobType") == "Pipeline":
            for output in (properties.get("outputs") or {}).values():
                if isinstance(output, dict):
                    output.setdefault("mode", "ReadWriteMount")
        document = store.put(request.path, {"properties": properties})
        self.runs[name] = {"runId": name, "status": "NotStarted", "parent": None, "name": name}
        thread = threading.Thread(target=self._execute, args=(request.path, name), daemon=True)
        self.threads.append(thread)
        thread.start()
        return Response.json(document, 201)

    def _check_compute(self, properties: dict[str, Any]) -> str | None:
        compute = (properties.get("settings") or {}).get("default_compute") or properties.get("computeId")
        if not compute or str(compute).lower().endswith("serverless") or compute == "serverless":
            return None
        name = str(compute).rstrip("/").split("/")[-1]
        if self.emulator.store.get(self.emulator.path("computes", name)) is None:
            return f"Compute {name} is not found in workspace {self.emulator.workspace}."
        return None

    def cancel(self, request: Request, match: re.Match[str]) -> Response:
        path = request.path.rsplit("/cancel", 1)[0]
        job = self.emulator.store.get(path)
        if job is None:
            return not_found(request)
        if job["properties"].get("status") not in TERMINAL:
            self._set_status(path, match["name"], "Canceled")
        return Response(
            202, headers={"Location": f"https://management.azure.com{path}?api-version=2024-10-01-preview"}
        )

    def get_job(self, request: Request, match: re.Match[str]) -> Response:
        job = self.emulator.store.get(request.path)
        if job is not None:
            return Response.json(job)
        record = self.runs.get(match["name"])
        if record is not None and record.get("parent"):
            # A pipeline step: ARM knows it only as a child run (properties null); details are in run history.
            return Response.json(
                {
                    "id": request.path,
                    "name": match["name"],
                    "type": "Microsoft.MachineLearningServices/workspaces/jobs",
                    "properties": None,
                }
            )
        return not_found(request)

    def list_jobs(self, request: Request, match: re.Match[str]) -> Response:
        values = list(self.emulator.store.children(request.path))
        values.sort(key=lambda j: j["systemData"]["createdAt"], reverse=True)
        return Response.json({"value": values})

    def _set_status(self, path: str, name: str, status: str, **extra: Any) -> None:
        self.emulator.store.update(path, status=status, **extra)
        record = self.runs.setdefault(name, {"runId": name, "name": name})
        record["status"] = status
        if status == "Running":
            record["startTimeUtc"] = now()
        if status in TERMINAL:
            record["endTimeUtc"] = now()

    # --- execution ----------------------------------------------------------------------------------
    def _workspace(self) -> str:
        """The workspace of the job this thread runs (each job runs in a thread of its own)."""
        return getattr(self._current, "workspace", None) or self.emulator.workspace

    def _container(self) -> Any:
        """The blob container of the running job's workspace: its outputs and logs go there."""
        return self.emulator.container(self.emulator.workspaces[self._workspace()])

    def _execute(self, path: str, name: str) -> None:
        job = self.emulator.store.get(path)
        folder = self.work / name
        match = re.search(r"/workspaces/(?P<workspace>[^/]+)/", path, re.IGNORECASE)
        self._current.workspace = match["workspace"] if match else self.emulator.workspace
        try:
            time.sleep(0.3)  # the job is seen NotStarted first, as on the service
            self._set_status(path, name, "Running")
            properties = job["properties"]
            if properties.get("jobType") == "Pipeline":
                ok, error = self._run_pipeline(name, properties, folder)
            else:
                ok, error = self._run_command(name, properties, folder)
        except Exception as exc:  # the job fails; the emulator keeps serving
            import traceback

            traceback.print_exc()
            ok, error = False, f"{type(exc).__name__}: {exc}"
        current = self.emulator.store.get(path)
        if current and current["properties"].get("status") == "Canceled":
            return
        self.runs[name]["error"] = error
        self._set_status(path, name, "Completed" if ok else "Failed")

    def _environment(self) -> dict[str, str]:
        return {
            "MLFLOW_TRACKING_URI": f"sqlite:///{self.emulator.folder / 'mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "ORT_DISABLE_TELEMETRY": "1",
            "AZUREML_RUN_ID": "",
        }

    def _component_file(self, component_id: str, folder: Path, label: str) -> Path:
        store = self.emulator.store
        component = store.get(component_id)
        if component is None:
            raise RuntimeError(f"component {component_id} not found")
        spec = dict(component["properties"]["componentSpec"])
        code = spec.get("code")
        if code:
            code_id = _ASSET_ID.match(str(code))
            version = store.get(code_id["id"] if code_id else str(code))
            if version is None:
                raise RuntimeError(f"code {code} not found")
            target = folder / "code" / label
            if not target.exists():
                self._download_uri(version["properties"]["codeUri"], target, folder=True)
            spec["code"] = str(target)
        spec.pop("environment", None)
        spec.pop("_source", None)
        for port in (spec.get("inputs") or {}).values():
            if (
                isinstance(port, dict)
                and "default" in port
                and port.get("type") in ("integer", "number", "boolean")
            ):
                port["default"] = yaml.safe_load(str(port["default"]))
        spec["name"] = spec.get("name") if spec.get("name") != "azureml_anonymous" else label
        path = folder / f"component-{label}.yml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        return path

    def _download_uri(self, uri: str, target: Path, *, folder: bool) -> Path:
        """A blob URL (https://account.blob.../container/path) or azureml:// datastore URI, to local."""
        container_name, prefix = self._blob_location(uri)
        container = self.emulator.container(container_name)
        target.mkdir(parents=True, exist_ok=True)
        names = [
            b.name
            for b in container.list_blobs(name_starts_with=prefix.rstrip("/") + "/" if prefix else None)
        ]
        if not folder or not names:
            blob = container.get_blob_client(prefix)
            if blob.exists():
                file = target / Path(prefix).name
                file.write_bytes(blob.download_blob().readall())
                return file
        for blob_name in names:
            relative = blob_name[len(prefix) :].lstrip("/") if prefix else blob_name
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(container.download_blob(blob_name).readall())
        return target

    def _blob_location(self, uri: str) -> tuple[str, str]:
        match = _LOCAL_UPLOAD.match(uri)
        if match:  # the datastore's own container (each workspace has its own)
            workspace = match["workspace"] or self._workspace()
            store = self.emulator.store.get(
                self.emulator.path("datastores", match["store"], workspace=workspace)
            )
            container = (
                (store or {}).get("properties", {}).get("containerName", self.emulator.default_container)
            )
            return container, match["path"].rstrip("/")
        if ".blob.core.windows.net/" not in uri:
            raise RuntimeError(f"the emulator cannot resolve the input URI {uri!r}")
        rest = uri.split(".blob.core.windows.net/", 1)[1].split("?", 1)[0]
        container, _, prefix = rest.partition("/")
        return container, prefix.rstrip("/")

    def _input_value(self, value: dict[str, Any], folder: Path, name: str) -> Any:
        kind = value.get("jobInputType")
        if kind == "literal":
            text = str(value.get("value"))
            parsed = yaml.safe_load(text)
            # a literal reaches the command as its text: numbers and booleans as written, and a value YAML
            # would read as a date or time (an ISO 8601 string input) unchanged
            return parsed if isinstance(parsed, str | int | float | bool) or parsed is None else text
        uri = str(value.get("uri", ""))
        asset = _ASSET_ID.match(uri)
        short = re.match(r"^azureml:(?P<name>[^:/]+):(?P<version>[^:/]+)$", uri)
        if uri.lower().startswith("/subscriptions/"):  # the asset's ARM id
            asset = {"id": uri}
        if short:  # azureml:name:version
            asset = {
                "id": self.emulator.path(
                    "data", short["name"], "versions", short["version"], workspace=self._workspace()
                )
            }
        if asset:  # a registered data asset version: its dataUri
            data = self.emulator.store.get(asset["id"])
            if data is None:
                raise RuntimeError(f"input {name}: data asset {uri} not found")
            uri = data["properties"]["dataUri"]
        target = folder / "inputs" / name
        if kind in {"uri_folder", "mlflow_model", "custom_model"}:
            return self._download_uri(uri, target, folder=True)
        return self._download_uri(uri, target, folder=False)

    def _run_pipeline(self, name: str, properties: dict[str, Any], folder: Path) -> tuple[bool, str | None]:
        from amlops.azureml import run_pipeline_job

        folder.mkdir(parents=True, exist_ok=True)
        inputs = {
            key: self._input_value(value, folder, key)
            for key, value in (properties.get("inputs") or {}).items()
            if isinstance(value, dict)
        }
        jobs: dict[str, Any] = {}
        children: dict[str, dict[str, Any]] = {}
        for step, node in (properties.get("jobs") or {}).items():
            component_file = self._component_file(node["componentId"], folder, step)
            jobs[step] = {
                "type": node.get("type", "command"),
                "component": str(component_file),
                "inputs": {k: _binding(v) for k, v in (node.get("inputs") or {}).items()},
            }
            outputs = {k: _binding(v) for k, v in (node.get("outputs") or {}).items()}
            if outputs:
                jobs[step]["outputs"] = outputs
            child_id = str(uuid.uuid4())
            children[step] = {
                "runId": child_id,
                "name": child_id,
                "parent": name,
                "step": step,
                "status": "NotStarted",
            }
        pipeline = {
            "type": "pipeline",
            "inputs": {k: (str(v) if isinstance(v, Path) else v) for k, v in inputs.items()},
            "outputs": {
                k: {"type": (v or {}).get("jobOutputType", "uri_folder")}
                for k, v in (properties.get("outputs") or {}).items()
            },
            "settings": {
                "continue_on_step_failure": bool(
                    (properties.get("settings") or {}).get("continue_on_step_failure")
                )
            },
            "jobs": jobs,
        }
        job_file = folder / "pipeline.yml"
        job_file.write_text(yaml.safe_dump(pipeline, sort_keys=False), encoding="utf-8")
        self.children[name] = list(children.values())
        for child in children.values():
            self.runs[child["runId"]] = child

        def on_event(event: Any) -> None:
            child = children.get(event.step)
            if child is None:
                return
            if event.kind == "started":
                child["status"] = "Running"
                child["startTimeUtc"] = now()
            elif event.kind in ("completed", "reused"):
                child["status"] = "Completed"
                child["endTimeUtc"] = now()
            elif event.kind == "failed":
                child["status"] = "Failed"
                child["endTimeUtc"] = now()
            elif event.kind == "skipped":
                child["status"] = "Canceled"

        result = run_pipeline_job(
            job_file, run_dir=folder / "run", env=self._environment(), on_event=on_event, force=True
        )
        for step, outcome in result.steps.items():
            child = children[step]
            child["status"] = {"completed": "Completed", "reused": "Completed", "failed": "Failed"}.get(
                outcome.status, "Canceled"
            )
            for output, local in outcome.outputs.items():
                if Path(local).exists():
                    self._upload(Path(local), f"azureml/{child['runId']}/{output}")
            if outcome.log_path and Path(outcome.log_path).is_file():
                self._container().upload_blob(
                    f"ExperimentRun/dcid.{child['runId']}/user_logs/std_log.txt",
                    Path(outcome.log_path).read_bytes(),
                    overwrite=True,
                )
            if outcome.status == "failed":
                child["error"] = (
                    f"Execution failed. User process exited with status code {outcome.exit_code}."
                )
        for output, local in result.outputs.items():
            self._upload(Path(local), f"azureml/{name}/{output}")
        failed = next((s for s, o in result.steps.items() if o.status == "failed"), None)
        if failed:
            return False, f"Pipeline step {failed!r} failed: {children[failed].get('error')}"
        return result.status == "completed", None

    def _run_command(self, name: str, properties: dict[str, Any], folder: Path) -> tuple[bool, str | None]:
        from amlops.azureml import run_command_component

        folder.mkdir(parents=True, exist_ok=True)
        # A command job carries its component inline: command, codeId, typed inputs, bound outputs;
        # outputs the command names but the job does not bind get the default (uri_folder), as on the service.
        code = self.emulator.store.get(str(properties["codeId"]).removeprefix("azureml:"))
        if code is None:
            raise RuntimeError(f"code {properties['codeId']} not found")
        code_dir = self._download_uri(code["properties"]["codeUri"], folder / "code", folder=True)
        raw_inputs = {k: v for k, v in (properties.get("inputs") or {}).items() if isinstance(v, dict)}
        output_names = set(re.findall(r"\$\{\{\s*outputs\.([A-Za-z0-9_]+)\s*\}\}", properties["command"]))
        output_names |= {k for k in (properties.get("outputs") or {}) if k != "default"}
        spec = {
            "name": "command",
            "type": "command",
            "command": properties["command"],
            "code": str(code_dir),
            "inputs": {
                k: {
                    "type": "string"
                    if v.get("jobInputType") == "literal"
                    else v.get("jobInputType", "uri_folder")
                }
                for k, v in raw_inputs.items()
            },
            "outputs": {o: {"type": "uri_folder"} for o in sorted(output_names)},
        }
        for unset in set(re.findall(r"\$\{\{\s*inputs\.([A-Za-z0-9_]+)\s*\}\}", properties["command"])) - set(
            raw_inputs
        ):
            spec["inputs"][unset] = {"type": "string", "optional": True}  # an optional input left unset
        component_file = folder / "component-command.yml"
        component_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        inputs = {key: self._input_value(value, folder, key) for key, value in raw_inputs.items()}
        result = run_command_component(
            component_file,
            inputs=inputs,
            run_dir=folder / "run",
            env=self._environment(),
            force=True,
            name="command",
        )
        for output, local in result.outputs.items():
            if Path(local).exists():
                self._upload(Path(local), f"azureml/{name}/{output}")
        if result.log_path and Path(result.log_path).is_file():
            self._container().upload_blob(
                f"ExperimentRun/dcid.{name}/user_logs/std_log.txt",
                Path(result.log_path).read_bytes(),
                overwrite=True,
            )
        if result.status == "failed":
            return False, f"Execution failed. User process exited with status code {result.exit_code}."
        return True, None

    def _upload(self, local: Path, prefix: str) -> None:
        if local.is_dir():
            self.emulator.upload_folder(local, prefix, self._container())
        elif local.is_file():
            self._container().upload_blob(f"{prefix}/{local.name}", local.read_bytes(), overwrite=True)

    def wait(self, timeout: float = 300) -> None:
        for thread in list(self.threads):
            thread.join(timeout)

    def stop(self) -> None:
        self.wait(5)
        shutil.rmtree(self.work, ignore_errors=True)


def _binding(value: Any) -> Any:
    if isinstance(value, dict):
        if "value" in value:
            return value["value"]
        if "uri" in value:
            return value["uri"]
    return value


class RunHistory:
    """`<region>.api.azureml.ms`: discovery (no auth) and run history v1.0 (management-audience token).

    Routes (azure-ai-ml `_restclient/runhistory`; shapes from recordings pipeline_job/
    test_pipeline_job_child_run_download.json): GET /discovery, GET .../runs/{id}, .../runs/{id}/details,
    .../runs/{id}/children, POST .../rundata (outputs null: azure-ai-ml then finds outputs under
    `azureml/<job>/<output>/`, as it does for real pipeline runs); the artifact service (`/artifact/v2.0/`,
    artifacts.py) on the same host.
    """

    def __init__(self, emulator: Any, jobs: Jobs) -> None:
        from .artifacts import Artifacts

        self.emulator = emulator
        self.jobs = jobs
        self.host = f"{emulator.location}.api.azureml.ms"
        self.artifacts = Artifacts(emulator, jobs.runs)

    def _run(self, run_id: str) -> dict[str, Any] | None:
        record = self.jobs.runs.get(run_id)
        if record is None:
            return None
        run = {
            "runId": record["runId"],
            "runUuid": record["runId"],
            "parentRunId": record.get("parent"),
            "rootRunId": record.get("parent") or record["runId"],
            "status": record.get("status", "NotStarted"),
            "displayName": record.get("step") or record["runId"],
            "name": "azureml_anonymous" if record.get("step") else record["runId"],
            "experimentId": str(uuid.uuid5(uuid.NAMESPACE_DNS, "train-model")),
            "createdUtc": record.get("startTimeUtc") or now(),
            "startTimeUtc": record.get("startTimeUtc"),
            "endTimeUtc": record.get("endTimeUtc"),
            "tags": {"azureml.nodeid": record.get("step", "")} if record.get("step") else {},
            "properties": {
                "azureml.nodeid": record.get("step", ""),
                "azureml.pipelinerunid": record.get("parent") or "",
            }
            if record.get("step")
            else {},
            "target": "cpu-cluster",
            "compute": {"target": "cpu-cluster", "targetType": "amlcompute"},
            "services": {},
            "warnings": [],
        }
        if record.get("error"):
            run["error"] = {"error": {"code": "UserError", "message": record["error"]}}
        return run

    def __call__(self, request: Request) -> Response:
        if request.path == "/discovery":
            base = f"https://{self.host}"
            return Response.json(
                {
                    "api": base,
                    "catalog": base,
                    "experimentation": base,
                    "history": base,
                    "modelmanagement": base,
                    "pipelines": base,
                    "studio": "https://ml.azure.com",
                }
            )
        from .arm import ARM_AUDIENCE

        reason = self.emulator.identity.verify(request.header("authorization"), ARM_AUDIENCE)
        if reason is not None:
            return Response.json({"error": {"code": "UserError", "message": reason}}, 401)
        if self.artifacts.handles(request.path):
            return self.artifacts(request)
        match = re.search(
            r"/history/v1\.0/.+?/runs/(?P<id>[^/]+)(?P<rest>/details|/children)?$", request.path
        )
        if request.method == "GET" and match:
            run = self._run(match["id"])
            if run is None:
                return Response.json(
                    {"error": {"code": "UserError", "message": f"Run {match['id']} not found"}}, 404
                )
            if match["rest"] == "/children":
                children = self.jobs.children.get(match["id"], [])
                return Response.json({"value": [self._run(c["runId"]) for c in children]})
            if match["rest"] == "/details":
                run["logFiles"] = {}
            return Response.json(run)
        if request.method == "POST" and request.path.endswith("/rundata"):
            run_id = (request.json() or {}).get("runId", "")
            run = self._run(run_id)
            if run is None:
                return Response.json(
                    {"error": {"code": "UserError", "message": f"Run {run_id} not found"}}, 404
                )
            return Response.json({"runMetadata": {**run, "outputs": None}})
        return Response.json({"error": {"code": "NotEmulated", "message": request.path}}, 404)


def install(emulator: Any) -> Jobs:
    jobs = Jobs(emulator)
    history = RunHistory(emulator, jobs)
    emulator.proxy.route(history.host, history)
    jobs.history = history
    return jobs
