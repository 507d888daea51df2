"""Local online deployments survive their source folders, slow clients and dead servers (real servers)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from amlops.processes import alive

pytestmark = pytest.mark.slow

SETTINGS = """
instance_count: 1
request_settings:
  request_timeout_ms: 1000
  max_concurrent_requests_per_instance: 2
"""


def deploy(cli, trained, project: Path, *, extra_spec: str = "") -> dict:
    if extra_spec:
        spec = project / "pipelines/azureml/online-deployment.yml"
        text = spec.read_text().replace("instance_count: 1\n", "")
        spec.write_text(text + extra_spec)
    run_id = trained("rmse=3.0", "scale=2.0")
    assert cli("gate", "--run-id", run_id, "--model-name", "m").code == 0
    version = cli("register-model", "--run-id", run_id, "--model-name", "m").result["version"]
    deployed = cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", version)
    assert deployed.code == 0, deployed.stderr
    return deployed.result


def record(state_dir: Path, deployment: str = "blue") -> dict:
    return json.loads((state_dir / "endpoints" / "ep.json").read_text())["deployments"][deployment]


def kill(pid: int) -> None:
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


def test_a_deployment_serves_from_its_own_copy_and_is_restarted_when_its_server_dies(
    cli, trained, project: Path, state_dir: Path
) -> None:
    deploy(cli, trained, project, extra_spec=SETTINGS)
    blue = record(state_dir)
    assert Path(blue["code"]).is_relative_to(state_dir / "endpoints" / "ep")
    assert Path(blue["model_dir"]).is_relative_to(state_dir / "endpoints" / "ep")
    assert (Path(blue["folder"]) / "deployment.yml").is_file()
    assert blue["settings"] == {
        "workers": 1,
        "threads": 2,
        "request_timeout_ms": 1000,
        "max_queue_wait_ms": 500,
    }

    # The project's code and the downloaded model go away (a new rendering, a cleaned run folder) ...
    shutil.rmtree(project / "data-science" / "src")
    shutil.rmtree(blue["source_model_dir"])
    good = project / "pipelines/azureml/smoke-request.json"
    served = cli("invoke", "--endpoint", "ep", "--request", good)
    assert served.result["response"]["predictions"] == [2.0, 5.0]

    # ... and the server dies: status says so in one line with the fix; invoke restarts it from the copy.
    kill(blue["pid"])
    status = cli("status")
    fix = "fix: amlops deploy-online --endpoint ep --model-name m --version 1"
    assert status.result["problems"] == [
        f"ep/blue takes 100 % of the traffic but its server is not running; {fix}"
    ]
    assert fix in " ".join(status.stderr.split())  # the console wraps long lines
    again = cli("invoke", "--endpoint", "ep", "--request", good)
    assert again.code == 0, again.stderr
    assert again.result["response"]["predictions"] == [2.0, 5.0]
    assert record(state_dir)["pid"] != blue["pid"]
    assert cli("status").result["problems"] == []


def test_a_deployment_that_cannot_restart_is_reported_in_one_line_with_the_command_that_fixes_it(
    cli, trained, project: Path, state_dir: Path
) -> None:
    deploy(cli, trained, project)
    blue = record(state_dir)
    kill(blue["pid"])
    shutil.rmtree(blue["folder"])  # its copy is gone too
    good = project / "pipelines/azureml/smoke-request.json"
    failed = cli("invoke", "--endpoint", "ep", "--request", good)
    assert failed.code == 1
    command = "amlops deploy-online --endpoint ep --model-name m --version 1"
    assert failed.result["error"] == (
        f"deployment ep/blue is down and did not restart (its code {blue['code']} no longer exists); "
        f"redeploy with `{command}`"
    )
    assert "Traceback" not in failed.stderr

    fixed = cli(*command.split()[1:])
    assert fixed.code == 0, fixed.stderr
    assert (fixed.result["created"], fixed.result["deployment"]) == (True, "green")
    assert cli("invoke", "--endpoint", "ep", "--request", good).code == 0
    assert cli("status").result["problems"] == []


def _stall(port: int, payload: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    if payload:
        sock.sendall(payload)
    return sock


def test_slow_and_idle_clients_do_not_starve_others(cli, trained, project: Path, state_dir: Path) -> None:
    """Two threads (max_concurrent_requests_per_instance: 2), a 1 s request timeout: twenty silent
    connections, four that stop half-way through their headers and two half-way through their body."""
    result = deploy(cli, trained, project, extra_spec=SETTINGS)
    port = int(result["scoring_uri"].split(":")[2].split("/")[0])
    body = json.dumps({"data": [{"x": 1.0}]}).encode()
    head = (
        "POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
    )
    stalled = [_stall(port, b"") for _ in range(20)]
    stalled += [_stall(port, b"POST /score HTTP/1.1\r\nHost: x\r\n") for _ in range(4)]
    stalled += [_stall(port, (head + "\r\n").encode() + body[:5]) for _ in range(2)]

    timings: list[float] = []

    def call() -> None:
        request = urllib.request.Request(
            result["scoring_uri"], data=body, headers={"Content-Type": "application/json"}
        )
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.loads(response.read()) == {"predictions": [2.0]}
        timings.append(time.monotonic() - started)

    callers = [threading.Thread(target=call) for _ in range(4)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=60)
    assert len(timings) == 4
    # Each stalled connection holds a thread for at most the 1 s timeout: nobody waits for long.
    assert max(timings) < 4.0, timings

    # The server ended the stalled connections that had started a request: half a header is dropped, half a
    # body is answered 408 (whatever the scoring script would have done with it).
    for sock in stalled[20:24]:
        sock.settimeout(10)
        assert sock.recv(65536) == b""
        sock.close()
    for sock in stalled[24:]:
        sock.settimeout(10)
        answer = sock.makefile("rb").read()
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer
        assert b"the body did not arrive within the request timeout (1 s)" in answer
        sock.close()
    for sock in stalled[:20]:
        sock.close()
    with urllib.request.urlopen(result["scoring_uri"].removesuffix("score"), timeout=10) as response:
        assert response.status == 200


def test_the_specs_environment_variables_reach_the_server(
    cli, trained, project: Path, state_dir: Path
) -> None:
    """As on Azure ML, `environment_variables` of the deployment spec are set in the scoring server."""
    deploy(cli, trained, project, extra_spec="environment_variables:\n  GREETING: hello\n  RETRIES: 3\n")
    blue = record(state_dir)
    assert blue["environment_variables"]["GREETING"] == "hello"
    environ = dict(
        item.split("=", 1)
        for item in Path(f"/proc/{blue['pid']}/environ").read_text().split("\0")
        if "=" in item
    )
    assert (environ["GREETING"], environ["RETRIES"]) == ("hello", "3")


def test_two_deploys_at_once_lose_nothing_and_roll_back_in_order(
    cli, trained, project: Path, state_dir: Path
) -> None:
    """Two processes deploy to one endpoint at the same time: the endpoint lock runs them one after the
    other, and the state holds both changes (none overwritten by a stale read), so a rollback then returns
    to the version the second deploy replaced."""
    import subprocess
    import sys

    versions = []
    for scale in ("2.0", "3.0", "4.0"):
        run_id = trained("rmse=3.0", f"scale={scale}")
        assert cli("gate", "--run-id", run_id, "--model-name", "m").code == 0
        versions.append(cli("register-model", "--run-id", run_id, "--model-name", "m").result["version"])
    first = cli("deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", versions[0])
    assert first.code == 0, first.stderr
    base = [sys.executable, "-m", "amlops", "--project-dir", str(project), "--state-dir", str(state_dir)]
    commands = [
        [*base, "deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", versions[1]],
        [*base, "deploy-online", "--endpoint", "ep", "--model-name", "m", "--version", versions[2]],
    ]
    running = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands
    ]
    outcomes = [(p.wait(timeout=300), *p.communicate()) for p in running]
    assert [code for code, _, _ in outcomes] == [0, 0], [err[-2000:] for _, _, err in outcomes]
    state = json.loads((state_dir / "endpoints" / "ep.json").read_text())
    live = [name for name, weight in state["traffic"].items() if weight == 100]
    assert len(live) == 1
    # both deploys happened, one after the other: three entries, each naming the champion it replaced
    served = state["deployments"][live[0]]["model_version"]
    history = state["history"]
    assert len(history) == 3, history
    assert history[1]["champion_version"] == versions[0]
    assert {history[2]["champion_version"], served} == set(versions[1:])
    rollback = subprocess.run(
        [*base, "rollback", "--endpoint", "ep"], check=False, capture_output=True, text=True, timeout=300
    )
    assert rollback.returncode == 0, rollback.stderr[-2000:]
    after = json.loads((state_dir / "endpoints" / "ep.json").read_text())
    back = [name for name, weight in after["traffic"].items() if weight == 100]
    assert after["deployments"][back[0]]["model_version"] == history[2]["champion_version"]
