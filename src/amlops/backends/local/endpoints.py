"""Online endpoints as local Azure ML inference server processes (batch endpoints: `batch.py`).

An online deployment is one `azmlinfsrv` (azureml-inference-server-http, from this interpreter's
environment) serving the project's scoring script with a model version's bundle, bound to 127.0.0.1 on a
free port, detached so it outlives the command. Endpoint state: `<state>/endpoints/<name>.json`
(deployments with pid, port, model version; traffic; history for rollback); server logs beside it.

A deployment serves from its own copy of the scoring code, the model and the deployment spec under
`<state>/endpoints/<endpoint>/<deployment>-<id>/` (never from the project or a run's folder, which a later
run may delete), with workers, threads and request timeout from the spec (`serving.server_settings`).
A deployment whose server died is restarted by the next `invoke` (a managed endpoint is always up); one that
cannot be restarted is reported in one line with the command that replaces it.

Auth follows the endpoint spec beside the deployment spec (`online-endpoint.yml`): `auth_mode: key` (Azure's
default) gives the endpoint a primary and a secondary key (`<state>/endpoints/<name>.keys` (JSON), mode 0600,
read with `amlops get-keys`); its servers answer 401 without one (`serving_worker.KeyAuth`), and `invoke`
sends the primary key. Without an endpoint spec the endpoint is open, as before.

A deployment spec's `data_collector` starts the server's collector sidecar (`data_collector`): the scoring
inputs the script logs land under `<state>/modelDataCollector/<endpoint>/<deployment>/model_inputs/`, which
`collected_inputs` hands to the monitor's drift check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from amlops import processes
from amlops.backends.base import (
    DataAsset,
    Deployment,
    Endpoint,
    InvokeResponse,
    ModelVersion,
    not_collecting,
)
from amlops.backends.local._files import now_iso, read_json, tail, write_json
from amlops.backends.local._locks import locked
from amlops.backends.local.data_collector import (
    INPUTS,
    collected_folder,
    collection_config,
    server_environ,
)
from amlops.backends.local.serving import (
    ServerSettings,
    environment_variables,
    log_rotation,
    server_settings,
)
from amlops.errors import ConfigError, FailedError, NotFoundError, UsageError

READY_TIMEOUT_S = float(os.environ.get("AMLOPS_READY_TIMEOUT", "90"))
INVOKE_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0  # a stopped server's time between SIGTERM and SIGKILL

# azmlinfsrv binds 0.0.0.0 with no option to change it; this launcher runs the same server entry point
# (`azureml_inference_server_http.amlserver.run`, what the `azmlinfsrv` script calls) bound to loopback,
# its output (and every worker's) first sent to the rotating log writer (`serving_log`).
_LAUNCHER = (
    "import sys; from amlops.backends.local.serving_log import redirect_output; redirect_output(); "
    "from amlops.backends.local.data_collector import start_from_environ; start_from_environ(); "
    "import azureml_inference_server_http.amlserver as s; "
    "s.DEFAULT_HOST = '127.0.0.1'; sys.argv[0] = 'azmlinfsrv'; sys.exit(s.run())"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def read_deployment_spec(deployment_spec: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(deployment_spec.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read deployment spec {deployment_spec}: {exc}") from None
    if not isinstance(spec, dict):
        raise ConfigError(f"{deployment_spec}: an online deployment spec must be a mapping")
    return spec


def scoring_code(deployment_spec: Path) -> tuple[Path, Path]:
    """(code folder, scoring script) from an Azure ML online deployment spec's `code_configuration`."""
    spec = read_deployment_spec(deployment_spec)
    config = spec.get("code_configuration")
    if not isinstance(config, dict) or not config.get("code") or not config.get("scoring_script"):
        raise ConfigError(f"{deployment_spec}: code_configuration needs `code` and `scoring_script`")
    code = (deployment_spec.parent / str(config["code"])).resolve()
    script = (code / str(config["scoring_script"])).resolve()
    if not script.is_file():
        raise ConfigError(f"{deployment_spec}: scoring script {script} does not exist")
    if not script.is_relative_to(code):
        raise ConfigError(f"{deployment_spec}: scoring script {script} is outside the code folder {code}")
    return code, script


ENDPOINT_SPEC = "online-endpoint.yml"  # beside the deployment spec, as in pipelines/azureml/
SUPPORTED_AUTH_MODES = ("key",)


def auth_mode(deployment_spec: Path) -> str | None:
    """The endpoint's auth mode from the endpoint spec beside `deployment_spec` (None: no spec, open)."""
    path = deployment_spec.parent / ENDPOINT_SPEC
    if not path.is_file():
        return None
    spec = read_deployment_spec(path)
    mode = spec.get("auth_mode", "key")
    if mode not in SUPPORTED_AUTH_MODES:
        raise ConfigError(
            f"{path}: auth_mode: {mode!r} is not supported by the local backend; use "
            + " or ".join(SUPPORTED_AUTH_MODES)
        )
    return str(mode)


def new_keys() -> dict[str, str]:
    return {"primaryKey": secrets.token_urlsafe(32), "secondaryKey": secrets.token_urlsafe(32)}


_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache", ".mypy_cache")


def snapshot(
    folder: Path, *, code: Path, script: Path, model_dir: Path, deployment_spec: Path
) -> dict[str, str]:
    """Copy what a deployment serves into `folder` (code, model, spec): the paths its record points at."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(code, folder / "code", ignore=_NOT_COPIED)
    shutil.copytree(model_dir, folder / "model", symlinks=False)
    shutil.copy2(deployment_spec, folder / "deployment.yml")
    return {
        "folder": str(folder),
        "code": str(folder / "code"),
        "script": str(folder / "code" / script.relative_to(code)),
        "model_dir": str(folder / "model"),
        "deployment_spec": str(folder / "deployment.yml"),
        "source_code": str(code),
        "source_model_dir": str(model_dir),
    }


def launch_inference_server(
    code: Path,
    script: Path,
    model_dir: Path,
    log: Path,
    *,
    label: str,
    environ: Mapping[str, str] | None = None,
    settings: ServerSettings | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start the Azure ML inference server for `script` with `model_dir` on a free loopback port, detached
    (its own session, so it outlives the command), and wait until `GET /` answers 200. `settings` (default:
    one worker, `ServerSettings()`) chooses workers, threads and the request timeout. The server's output
    goes to `log`, rotated by size while it runs (`serving.log_rotation` of the environment)."""
    settings = settings or ServerSettings()
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    base = os.environ if environ is None else environ
    env = {
        **base,
        **settings.environ(),
        **log_rotation(base).environ(str(log)),
        "PYTHONPATH": os.pathsep.join(p for p in (str(code), base.get("PYTHONPATH", "")) if p),
        "AML_APP_ROOT": str(code),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "ORT_DISABLE_TELEMETRY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    argv = [
        sys.executable,
        "-c",
        _LAUNCHER,
        "--entry_script",
        str(script),
        "--model_dir",
        str(model_dir),
        "--port",
        str(port),
        "--worker_count",
        str(settings.workers),
    ]
    process = processes.start_detached(argv, cwd=code, env=env, log=log)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FailedError(
                f"deployment {label} exited with code {process.returncode} before it was ready; "
                f"log {log}:\n{tail(log)}"
            )
        if http_get(f"http://127.0.0.1:{port}/") == 200:
            return process, port
        time.sleep(0.25)
    processes.stop(process.pid, grace_s=STOP_GRACE_S, reap=process.poll)
    raise FailedError(
        f"deployment {label} was not ready within {READY_TIMEOUT_S:.0f}s; log {log}:\n{tail(log)}"
    )


def redeploy_command(endpoint: str, record: Mapping[str, Any]) -> str:
    return (
        f"amlops deploy-online --endpoint {endpoint} --model-name {record.get('model_name')} "
        f"--version {record.get('model_version')}"
    )


class OnlineEndpoints:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "endpoints"

    # --- state ------------------------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        if not name or "/" in name or name.startswith("."):
            raise UsageError(f"invalid endpoint name {name!r}")
        return self.root / f"{name}.json"

    def _load(self, name: str) -> dict[str, Any] | None:
        path = self._path(name)
        return read_json(path) if path.is_file() else None

    def _require(self, name: str) -> dict[str, Any]:
        state = self._load(name)
        if state is None:
            raise NotFoundError(f"no online endpoint named {name!r}; create it with `amlops deploy-online`")
        return state

    def _save(self, state: dict[str, Any]) -> None:
        write_json(self._path(state["name"]), state)

    def _deployment(self, endpoint: str, state: Mapping[str, Any], name: str) -> Deployment:
        d = state["deployments"][name]
        alive = processes.alive(d.get("pid"))
        return Deployment(
            name=name,
            endpoint=endpoint,
            model_name=d["model_name"],
            model_version=str(d["model_version"]),
            state="running" if alive else "stopped",
            scoring_uri=f"http://127.0.0.1:{d['port']}/score" if alive and d.get("port") else "",
            traffic=int(state.get("traffic", {}).get(name, 0)),
        )

    def _endpoint(self, state: Mapping[str, Any]) -> Endpoint:
        deployments = tuple(self._deployment(state["name"], state, n) for n in sorted(state["deployments"]))
        endpoint = Endpoint(
            name=state["name"],
            kind="online",
            deployments=deployments,
            traffic={k: int(v) for k, v in state.get("traffic", {}).items()},
            history=tuple(state.get("history", ())),
        )
        live = endpoint.live
        return dataclasses.replace(endpoint, scoring_uri=live.scoring_uri if live else "")

    def get(self, name: str) -> Endpoint | None:
        state = self._load(name)
        return None if state is None else self._endpoint(state)

    def list(self) -> list[Endpoint]:
        if not self.root.is_dir():
            return []
        return [self._endpoint(read_json(p)) for p in sorted(self.root.glob("*.json"))]

    # --- processes --------------------------------------------------------------------------------------
    def lock(self, name: str) -> contextlib.AbstractContextManager[None]:
        """The endpoint's lock: deploy, traffic, rollback and delete of one endpoint run one at a time."""
        return locked(self.root / f"{self._path(name).stem}.lock", what=f"endpoint {name}")

    def _keys_path(self, name: str) -> Path:
        return self.root / f"{self._path(name).stem}.keys"

    def keys(self, endpoint: str) -> dict[str, Any]:
        """{"auth_mode", "primaryKey", "secondaryKey"} of an endpoint (keys None when it has none)."""
        state = self._require(endpoint)
        path = self._keys_path(endpoint)
        stored = read_json(path) if state.get("auth_mode") == "key" and path.is_file() else {}
        return {
            "auth_mode": state.get("auth_mode"),
            "primaryKey": stored.get("primaryKey"),
            "secondaryKey": stored.get("secondaryKey"),
        }

    def _ensure_keys(self, endpoint: str) -> None:
        path = self._keys_path(endpoint)
        if path.is_file():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(new_keys(), handle)

    def _start(self, endpoint: str, name: str, record: dict[str, Any]) -> dict[str, Any]:
        log = self.root / endpoint / f"{name}.log"
        state = self._load(endpoint) or {}
        environ = {**os.environ, **record.get("environment_variables", {})}
        if (record.get("auth_mode") or state.get("auth_mode")) == "key":
            environ["AMLOPS_ENDPOINT_KEYS_FILE"] = str(self._keys_path(endpoint))
        missing = [key for key in ("code", "script", "model_dir") if not Path(record[key]).exists()]
        if missing:
            raise FailedError(f"its {missing[0]} {record[missing[0]]} no longer exists")
        if record.get("data_collector"):
            environ.update(
                server_environ(
                    record["data_collector"],
                    folder=Path(record["folder"]),
                    root=self.root.parent,
                    endpoint=endpoint,
                    deployment=name,
                    port=free_port(),
                )
            )
        process, port = launch_inference_server(
            Path(record["code"]),
            Path(record["script"]),
            Path(record["model_dir"]),
            log,
            label=f"{endpoint}/{name}",
            environ=environ,
            settings=ServerSettings(**record.get("settings", {})),
        )
        return {**record, "pid": process.pid, "port": port, "log": str(log), "started_at": now_iso()}

    def _remove_files(self, record: Mapping[str, Any]) -> None:
        folder = record.get("folder")
        if folder and Path(folder).resolve().is_relative_to(self.root.resolve()):
            shutil.rmtree(folder, ignore_errors=True)

    def _create_deployment_unlocked(
        self, endpoint: str, deployment: str, model: ModelVersion, *, model_dir: Path, deployment_spec: Path
    ) -> Deployment:
        code, script = scoring_code(deployment_spec)
        spec = read_deployment_spec(deployment_spec)
        settings = server_settings(spec, source=str(deployment_spec))
        variables = environment_variables(spec, source=str(deployment_spec))
        collecting = collection_config(spec, source=str(deployment_spec))
        mode = auth_mode(deployment_spec)
        state = self._load(endpoint) or {
            "name": endpoint,
            "created_at": now_iso(),
            "deployments": {},
            "traffic": {},
            "history": [],
        }
        if state["traffic"].get(deployment, 0) > 0:
            raise UsageError(
                f"deployment {endpoint}/{deployment} takes traffic; shift it away before replacing"
            )
        old = state["deployments"].get(deployment)
        if old:
            processes.stop(old.get("pid"), grace_s=STOP_GRACE_S)
            self._remove_files(old)
        folder = self.root / endpoint / f"{deployment}-{uuid.uuid4().hex[:8]}"
        record = {
            "model_name": model.name,
            "model_version": model.version,
            **snapshot(
                folder, code=code, script=script, model_dir=model_dir, deployment_spec=deployment_spec
            ),
            "settings": settings.as_dict(),
            "environment_variables": variables,
            "auth_mode": mode,
            "data_collector": collecting,
        }
        if mode == "key":
            self._ensure_keys(endpoint)
        state["auth_mode"] = mode
        try:
            record = self._start(endpoint, deployment, record)
        except BaseException:
            self._remove_files(record)
            raise
        state["deployments"][deployment] = record
        state["traffic"].setdefault(deployment, 0)
        self._save(state)
        return self._deployment(endpoint, state, deployment)

    def _start_unlocked(self, endpoint: str, deployment: str) -> Deployment:
        state = self._require(endpoint)
        if deployment not in state["deployments"]:
            raise NotFoundError(f"endpoint {endpoint!r} has no deployment {deployment!r}")
        record = state["deployments"][deployment]
        if not (
            processes.alive(record.get("pid")) and http_get(f"http://127.0.0.1:{record['port']}/") == 200
        ):
            processes.stop(record.get("pid"), grace_s=STOP_GRACE_S)
            try:
                state["deployments"][deployment] = self._start(endpoint, deployment, record)
            except FailedError as exc:
                first = exc.message.splitlines()[0]
                raise FailedError(
                    f"deployment {endpoint}/{deployment} is down and did not restart ({first}); "
                    f"redeploy with `{redeploy_command(endpoint, record)}`"
                ) from None
            self._save(state)
        return self._deployment(endpoint, state, deployment)

    def stop(self, endpoint: str, deployment: str) -> None:
        state = self._require(endpoint)
        record = state["deployments"].get(deployment)
        if record:
            processes.stop(record.get("pid"), grace_s=STOP_GRACE_S)

    def _delete_deployment_unlocked(self, endpoint: str, deployment: str) -> None:
        state = self._require(endpoint)
        record = state["deployments"].pop(deployment, None)
        if record:
            processes.stop(record.get("pid"), grace_s=STOP_GRACE_S)
            self._remove_files(record)
        state["traffic"].pop(deployment, None)
        self._save(state)

    def _delete_unlocked(self, endpoint: str) -> None:
        state = self._require(endpoint)
        for record in state["deployments"].values():
            processes.stop(record.get("pid"), grace_s=STOP_GRACE_S)
            self._remove_files(record)
        self._path(endpoint).unlink(missing_ok=True)
        self._keys_path(endpoint).unlink(missing_ok=True)

    def _set_traffic_unlocked(
        self,
        endpoint: str,
        traffic: Mapping[str, int],
        *,
        history: tuple[Mapping[str, Any], ...] | None = None,
    ) -> Endpoint:
        state = self._require(endpoint)
        unknown = set(traffic) - set(state["deployments"])
        if unknown:
            raise UsageError(f"endpoint {endpoint!r} has no deployment(s) {sorted(unknown)}")
        if any(int(v) < 0 for v in traffic.values()) or sum(int(v) for v in traffic.values()) not in (0, 100):
            raise UsageError(f"traffic weights must be >= 0 and sum to 100, got {dict(traffic)}")
        if history is not None:
            state["history"] = [dict(entry) for entry in history]
        state["traffic"] = {name: int(traffic.get(name, 0)) for name in state["deployments"]}
        self._save(state)
        for name, weight in state["traffic"].items():
            if weight > 0:
                self.start(endpoint, name)  # a deployment taking traffic serves (restarted if it died)
        return self._endpoint(self._require(endpoint))

    def _auth_header(self, endpoint: str) -> dict[str, str]:
        key = self.keys(endpoint).get("primaryKey")
        return {"Authorization": f"Bearer {key}"} if key else {}

    # --- locked entry points ----------------------------------------------------------------------------
    def create_deployment(
        self, endpoint: str, deployment: str, model: ModelVersion, *, model_dir: Path, deployment_spec: Path
    ) -> Deployment:
        with self.lock(endpoint):
            return self._create_deployment_unlocked(
                endpoint, deployment, model, model_dir=model_dir, deployment_spec=deployment_spec
            )

    def start(self, endpoint: str, deployment: str) -> Deployment:
        state = self._require(endpoint)
        record = state["deployments"].get(deployment)
        if (
            record
            and processes.alive(record.get("pid"))
            and http_get(f"http://127.0.0.1:{record['port']}/") == 200
        ):
            return self._deployment(endpoint, state, deployment)  # serving: no need to wait for the lock
        with self.lock(endpoint):
            return self._start_unlocked(endpoint, deployment)

    def delete_deployment(self, endpoint: str, deployment: str) -> None:
        with self.lock(endpoint):
            self._delete_deployment_unlocked(endpoint, deployment)

    def delete(self, endpoint: str) -> None:
        with self.lock(endpoint):
            self._delete_unlocked(endpoint)

    def set_traffic(
        self,
        endpoint: str,
        traffic: Mapping[str, int],
        *,
        history: tuple[Mapping[str, Any], ...] | None = None,
    ) -> Endpoint:
        with self.lock(endpoint):
            return self._set_traffic_unlocked(endpoint, traffic, history=history)

    def collected_inputs(self, endpoint: str) -> DataAsset:
        """The `model_inputs` folder of the live deployment's data collector (`data_collector`)."""
        state = self._require(endpoint)
        live = self._endpoint(state).live
        if live is None:
            raise NotFoundError(f"online endpoint {endpoint!r} has no deployment taking traffic")
        config = state["deployments"][live.name].get("data_collector") or {}
        if not (config.get("collections", {}).get(INPUTS) or {}).get("enabled"):
            raise not_collecting(endpoint, live.name)
        folder = collected_folder(self.root.parent, endpoint, live.name, INPUTS)
        folder.mkdir(parents=True, exist_ok=True)
        return DataAsset(
            name=f"{endpoint}-{live.name}-{INPUTS}",
            version="1",
            hash="",
            path=folder,
            uri=str(folder),
            source=f"{endpoint}/{live.name}",
        )

    def invoke(self, endpoint: str, body: bytes, *, deployment: str | None = None) -> InvokeResponse:
        state = self._require(endpoint)
        if deployment is None:
            weighted = [(n, w) for n, w in state.get("traffic", {}).items() if w > 0]
            if not weighted:
                raise FailedError(f"endpoint {endpoint!r} has no deployment taking traffic")
            deployment = random.choices([n for n, _ in weighted], weights=[w for _, w in weighted])[0]
        elif deployment not in state["deployments"]:
            raise NotFoundError(f"endpoint {endpoint!r} has no deployment {deployment!r}")
        current = self.start(endpoint, deployment)  # a managed endpoint is always up: restart if it died
        request = urllib.request.Request(
            current.scoring_uri,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "azureml-model-deployment": deployment,
                **self._auth_header(endpoint),
            },
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=INVOKE_TIMEOUT_S) as response:
                status, text = response.status, response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", errors="replace")
        except OSError as exc:
            raise FailedError(f"cannot reach {current.scoring_uri}: {exc}") from None
        return InvokeResponse(
            status_code=status,
            body=text,
            deployment=deployment,
            elapsed_ms=round((time.monotonic() - started) * 1000, 2),
        )
