"""Azure DevOps incoming webhooks on `dev.azure.com`:
`POST /<org>/_apis/public/distributedtask/webhooks/<name>`
(how the training pipeline announces a registered version to deploy-model on Azure). Each accepted delivery
is kept in `deliveries`; like the service, the endpoint takes any JSON body without authentication (a
connection may add an HMAC secret, which the pipelines here do not use) and answers 200."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from .http import Request, Response

PATH = re.compile(r"^/(?P<org>[^/]+)/_apis/public/distributedtask/webhooks/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class Delivery:
    organization: str
    webhook: str
    api_version: str
    payload: Any


class IncomingWebhooks:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def handles(self, request: Request) -> bool:
        return PATH.match(request.path) is not None

    def __call__(self, request: Request) -> Response:
        found = PATH.match(request.path)
        if request.method != "POST" or found is None:
            return Response.json({"message": "Not Found"}, 404)
        version = request.query.get("api-version", "")
        if not version:
            return Response.json({"message": "No api-version was supplied for the POST request."}, 400)
        try:
            payload = request.json()
        except ValueError:
            return Response.json({"message": "The request body is not valid JSON."}, 400)
        with self._lock:
            self.deliveries.append(Delivery(found["org"], found["name"], version, payload))
        return Response(200)
