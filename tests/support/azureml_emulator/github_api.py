"""The part of GitHub's REST API the pipelines call: `POST /repos/{owner}/{repo}/dispatches` (a
repository_dispatch, how register's announce job starts deploy-model on Azure). Each accepted dispatch is
kept in `dispatches`; the checks are GitHub's documented ones (a bearer token, `event_type` a non-empty
string, `client_payload` an object of at most 10 top-level keys), answered as GitHub does (204, 401, 422)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from .http import Request, Response

HOST = "api.github.com"
_DISPATCHES = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/dispatches$")
MAX_PAYLOAD_KEYS = 10


@dataclass(frozen=True)
class Dispatch:
    repository: str
    event_type: str
    client_payload: dict[str, Any]
    token: str


class GitHubApi:
    def __init__(self) -> None:
        self.dispatches: list[Dispatch] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        found = _DISPATCHES.match(request.path)
        if request.method != "POST" or found is None:
            return Response.json({"message": "Not Found"}, 404)
        authorization = request.header("authorization")
        if not authorization.lower().startswith(("bearer ", "token ")) or not authorization.split(" ", 1)[1]:
            return Response.json({"message": "Requires authentication"}, 401)
        try:
            body = request.json()
        except ValueError:
            return Response.json({"message": "Problems parsing JSON"}, 400)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("event_type"), str)
            or not body["event_type"]
        ):
            return Response.json({"message": "Invalid request: event_type is missing"}, 422)
        payload = body.get("client_payload", {})
        if not isinstance(payload, dict) or len(payload) > MAX_PAYLOAD_KEYS:
            return Response.json({"message": "Invalid request: client_payload"}, 422)
        with self._lock:
            self.dispatches.append(
                Dispatch(
                    f"{found['owner']}/{found['repo']}",
                    body["event_type"],
                    payload,
                    authorization.split(" ", 1)[1],
                )
            )
        return Response(204)
