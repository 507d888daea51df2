"""Batch endpoints: a deployment is a snapshot of the scoring code, a model version and the batch settings
of `pipelines/azureml/batch-deployment.yml`; a batch job runs it with `amlops.azureml.batch`, as Azure ML
runs a model batch deployment (init once, run per mini-batch of files, retries, error threshold).

State: `<state>/batch-endpoints/<endpoint>.json` (deployments, default deployment) and, per deployment,
`<state>/batch-endpoints/<endpoint>/<deployment>/code/` (its own copy of the code, as Azure ML keeps a code
snapshot, so a deleted or changed checkout does not change what the deployment runs). Jobs:
`<state>/batch-jobs/<job>/` (its log, and `score/`: the files it wrote).
"""

from __future__ import annotations

import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amlops.azureml.batch import BatchSettings, load_batch_deployment, run_batch_deployment
from amlops.backends.base import BatchJob, Deployment, Endpoint, ModelVersion
from amlops.backends.local._files import now_iso, read_json, write_json
from amlops.errors import FailedError, NotFoundError, UsageError


class BatchEndpoints:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "batch-endpoints"
        self.jobs = state_dir / "batch-jobs"

    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise UsageError(f"invalid endpoint name {name!r}")
        return self.root / f"{name}.json"

    def deploy(
        self, endpoint: str, deployment: str, model: ModelVersion, *, model_dir: Path, deployment_spec: Path
    ) -> Deployment:
        if not deployment or "/" in deployment or deployment.startswith("."):
            raise UsageError(f"invalid deployment name {deployment!r}")
        spec = load_batch_deployment(deployment_spec)
        path = self._path(endpoint)
        # A new snapshot per deploy, swapped in by the state write: a failed copy leaves the old one in use.
        snapshot = self.root / endpoint / deployment / f"code-{secrets.token_hex(4)}"
        try:
            shutil.copytree(spec.code, snapshot, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        except OSError as exc:
            shutil.rmtree(snapshot, ignore_errors=True)
            raise FailedError(
                f"cannot copy the scoring code {spec.code} for {endpoint}/{deployment}: {exc}"
            ) from None
        state = read_json(path) if path.is_file() else {"name": endpoint, "deployments": {}, "default": None}
        previous = (state["deployments"].get(deployment) or {}).get("code")
        state["deployments"][deployment] = {
            "model_name": model.name,
            "model_version": model.version,
            "model_dir": str(model_dir),
            "code": str(snapshot),
            "scoring_script": spec.scoring_script,
            "settings": spec.settings.as_json(),
            "spec": str(spec.source),
            "created_at": now_iso(),
        }
        state["default"] = deployment
        write_json(path, state)
        if previous and Path(previous) != snapshot:
            shutil.rmtree(previous, ignore_errors=True)
        return Deployment(deployment, endpoint, model.name, model.version, "ready", traffic=100)

    def get(self, endpoint: str) -> dict[str, Any]:
        path = self._path(endpoint)
        if not path.is_file():
            raise NotFoundError(f"no batch endpoint named {endpoint!r}; create it with `amlops deploy-batch`")
        return read_json(path)

    def run(self, endpoint: str, *, input_dir: Path) -> BatchJob:
        state = self.get(endpoint)
        name = state["default"]
        record = state["deployments"][name]
        job = f"{endpoint}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        folder = self.jobs / job
        result = run_batch_deployment(
            code=Path(record["code"]),
            scoring_script=record["scoring_script"],
            settings=BatchSettings.from_json(record["settings"]),
            model_dir=Path(record["model_dir"]),
            input_path=Path(input_dir).resolve(),
            output_dir=(folder / "score").resolve(),
            log_path=folder / "job.log",
        )
        if not result.succeeded:
            raise FailedError(
                f"batch job {job} on {endpoint}/{name} failed (exit {result.exit_code}); "
                f"log {result.log_path}:\n{result.log_tail}",
                result={"job": job, "endpoint": endpoint, "deployment": name},
            )
        return BatchJob(
            endpoint,
            name,
            "completed",
            result.output_dir,
            {"score": result.output_dir},
            result.log_tail,
            job=job,
        )

    def list(self) -> list[Endpoint]:
        if not self.root.is_dir():
            return []
        out = []
        for p in sorted(self.root.glob("*.json")):
            state = read_json(p)
            deployments = tuple(
                Deployment(
                    n,
                    state["name"],
                    d["model_name"],
                    str(d["model_version"]),
                    "ready",
                    traffic=100 if n == state.get("default") else 0,
                )
                for n, d in state["deployments"].items()
            )
            out.append(Endpoint(state["name"], "batch", deployments, {state.get("default") or "": 100}))
        return out
