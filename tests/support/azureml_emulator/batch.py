"""Batch endpoints whose jobs really run: a batch deployment's scoring script over the invoked folder.

Invoke (azure-ai-ml `_batch_endpoint_operations.invoke`; shapes from recordings batch_services/
test_batch_endpoint*.json and docs/azureml-traffic/models-and-endpoints.md §4.4): POST
`https://<endpoint>.<region>.inference.ml.azure.com/jobs` with an Entra token for `https://ml.azure.com`,
body `{"properties": {"inputData": {"UriFolder": {"jobInputType": "UriFolder", "uri": ...}}}}`, optional
`azureml-model-deployment` header (else the endpoint's `defaults.deploymentName`). The answer names a new
ARM job tagged `azureml.batchrun` (jobType Pipeline, as the service shows batch jobs), which azure-ai-ml
then follows with `jobs.get` and downloads with `jobs.download(output_name="score")`.

The job downloads the deployment's model version, code snapshot and the input from Azurite and runs them
with `amlops.azureml.batch` (the same executor as the local backend: init once, run per mini-batch, retries,
error threshold) in one child run, whose output is written to `azureml/<child>/score/` and
`azureml/<job>/score/` in the workspace container (where the SDK's batch download looks) and whose log to
`ExperimentRun/dcid.<child>/user_logs/std_log.txt`.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .http import Request, Response
from .online import service_environment

_DURATION = re.compile(r"^P(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")


def seconds(duration: str | None, default: int = 30) -> int:
    """ISO 8601 durations as the service sends them (`PT5M`, `PT30S`) to whole seconds."""
    match = _DURATION.match(duration or "")
    if not duration or not match:
        return default
    return int(int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + float(match["s"] or 0))


def settings_of(properties: dict[str, Any]) -> Any:
    """The stored (REST) batch deployment properties as the executor's BatchSettings."""
    from amlops.azureml.batch import BatchSettings

    retry = properties.get("retrySettings") or {}
    action = str(properties.get("outputAction") or "AppendRow")
    return BatchSettings(
        mini_batch_size=int(properties.get("miniBatchSize") or 10),
        output_action="summary_only" if action.lower() == "summaryonly" else "append_row",
        output_file_name=str(properties.get("outputFileName") or "predictions.csv"),
        error_threshold=int(properties.get("errorThreshold", -1)),
        max_retries=int(retry.get("maxRetries", 3)),
        timeout_s=seconds(retry.get("timeout")),
        max_concurrency_per_instance=int(properties.get("maxConcurrencyPerInstance") or 1),
        environment_variables={
            str(k): str(v) for k, v in (properties.get("environmentVariables") or {}).items()
        },
    )


class Batch:
    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.invocations = 0

    def check_deployment(self, properties: dict[str, Any]) -> None:
        """What the service checks before a batch deployment succeeds (raises: the operation fails)."""
        store = self.emulator.store
        model = str((properties.get("model") or {}).get("assetId") or "")
        if not model or store.get(model.removeprefix("azureml:")) is None:
            raise RuntimeError(f"model {model or '(none)'} not found")
        code = str((properties.get("codeConfiguration") or {}).get("codeId") or "")
        if not code or store.get(code.removeprefix("azureml:")) is None:
            raise RuntimeError(f"code {code or '(none)'} not found")
        compute = str(properties.get("compute") or "").rstrip("/").split("/")[-1]
        if not compute or store.get(self.emulator.path("computes", compute)) is None:
            raise RuntimeError(f"compute {compute or '(none)'} not found: batch deployments need a cluster")

    def invoke(self, request: Request, name: str) -> Response:
        emulator = self.emulator
        path = emulator.path("batchEndpoints", name)
        endpoint = emulator.store.get(path)
        if endpoint is None:
            return Response.json({"message": f"batch endpoint {name} not found"}, 404)
        if emulator.identity.verify(request.header("authorization"), "https://ml.azure.com") is not None:
            return Response(401, b"Invalid authentication token", {"Content-Type": "text/plain"})
        if request.method != "POST":
            return Response.json({"message": "use POST to start a batch job"}, 405)
        deployment = request.header("azureml-model-deployment") or (
            (endpoint["properties"].get("defaults") or {}).get("deploymentName")
        )
        if not deployment:
            return Response.json(
                {"message": "No deployment given and the endpoint has no default deployment"}, 400
            )
        record = emulator.store.get(f"{path}/deployments/{deployment}")
        if record is None or record["properties"].get("provisioningState") != "Succeeded":
            return Response.json({"message": f"deployment {deployment} is not ready on {name}"}, 400)
        inputs = ((request.json() or {}).get("properties") or {}).get("inputData") or {}
        if len(inputs) != 1 or not isinstance(next(iter(inputs.values())), dict):
            return Response.json({"message": "properties.inputData must hold exactly one input"}, 400)
        uri = str(next(iter(inputs.values())).get("uri") or "")
        self.invocations += 1
        job = f"batchjob-{uuid.uuid4()}"
        job_path = emulator.path("jobs", job)
        document = emulator.store.put(
            job_path,
            {
                "properties": {
                    "jobType": "Pipeline",
                    "status": "Preparing",
                    "experimentName": name,
                    "displayName": job,
                    "tags": {"azureml.batchrun": "true"},
                    "properties": {"azureml.batchrun": "true", "azureml.deploymentname": deployment},
                    "services": {
                        "Studio": {
                            "jobServiceType": "Studio",
                            "endpoint": f"https://ml.azure.com/runs/{job}?wsid={emulator.workspace_path}",
                        }
                    },
                    "inputs": {},
                    "outputs": {},
                    "jobs": {},
                }
            },
        )
        jobs = emulator.jobs
        jobs.runs[job] = {"runId": job, "name": job, "status": "Preparing", "parent": None}
        thread = threading.Thread(
            target=self._execute, args=(job_path, job, dict(record["properties"]), uri), daemon=True
        )
        jobs.threads.append(thread)
        thread.start()
        return Response.json(
            {
                "id": f"{path}/jobs/{job}",
                "name": job,
                "type": "Microsoft.MachineLearningServices/workspaces/batchEndpoints/jobs",
                "properties": {"status": "Preparing", "tags": document["properties"]["tags"]},
            }
        )

    def _execute(self, job_path: str, job: str, properties: dict[str, Any], uri: str) -> None:
        from amlops.azureml.batch import run_batch_deployment

        emulator, jobs = self.emulator, self.emulator.jobs
        folder = jobs.work / job
        child = str(uuid.uuid4())
        jobs.children[job] = [{"runId": child, "name": child, "parent": job, "status": "NotStarted"}]
        jobs.runs[child] = jobs.children[job][0]
        ok, error = False, None
        try:
            time.sleep(0.3)  # seen Preparing first, as on the service
            jobs._set_status(job_path, job, "Running")
            jobs.runs[child].update(status="Running")
            model = emulator.online._model_dir(str(properties["model"]["assetId"]), folder / "model")
            config = properties["codeConfiguration"]
            code = emulator.online._code_dir(str(config["codeId"]), folder / "code")
            data = jobs._download_uri(uri, folder / "inputs" / "input", folder=True)
            result = run_batch_deployment(
                code=code,
                scoring_script=str(config["scoringScript"]),
                settings=settings_of(properties),
                model_dir=model,
                input_path=Path(data),
                output_dir=folder / "score",
                log_path=folder / "std_log.txt",
                env=service_environment() | jobs._environment(),
            )
            emulator.container().upload_blob(
                f"ExperimentRun/dcid.{child}/user_logs/std_log.txt",
                result.log_path.read_bytes(),
                overwrite=True,
            )
            if result.succeeded:
                jobs._upload(result.output_dir, f"azureml/{child}/score")
                jobs._upload(result.output_dir, f"azureml/{job}/score")
            ok = result.succeeded
            error = None if ok else f"The batch scoring script failed (exit code {result.exit_code})."
        except Exception as exc:  # the job fails; the emulator keeps serving
            error = f"{type(exc).__name__}: {exc}"
        jobs.runs[child].update(status="Completed" if ok else "Failed", error=error)
        jobs.runs[job]["error"] = error
        jobs._set_status(job_path, job, "Completed" if ok else "Failed")


def install(emulator: Any) -> Batch:
    return Batch(emulator)
