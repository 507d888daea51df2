"""Azurite (the npm package pinned in tools/azurite), blob service only, on a free loopback port.

Always started with `--disableTelemetry` (otherwise it calls out to Application Insights). The account
and key come from `AZURITE_ACCOUNTS`; the proxy forwards production-style host names
(`<account>.blob.core.windows.net`), from which Azurite takes the account.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
AZURITE_BIN = ROOT / "tools" / "azurite" / "node_modules" / ".bin" / "azurite-blob"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Azurite:
    def __init__(self, folder: Path, account: str) -> None:
        if not AZURITE_BIN.exists():
            raise RuntimeError(f"Azurite is not installed: run `make tools` ({AZURITE_BIN} is missing)")
        self.folder = folder
        self.account = account
        self.key = base64.b64encode(secrets.token_bytes(64)).decode()
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Azurite:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "AZURITE_ACCOUNTS": f"{self.account}:{self.key}"}
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            env.pop(name, None)
        log = (self.folder / "azurite.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(AZURITE_BIN),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.port),
                "--location",
                str(self.folder / "data"),
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--loose",
                "--silent",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Azurite exited: {(self.folder / 'azurite.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1)
            except urllib.error.HTTPError:
                return self  # it answers (400 without an account): ready
            except OSError:
                time.sleep(0.2)
                continue
            return self
        raise RuntimeError("Azurite did not start within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
