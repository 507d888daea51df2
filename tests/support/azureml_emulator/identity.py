"""Entra ID's token endpoint and the two CI OIDC issuers (GitHub Actions, Azure DevOps), emulated.

Tokens are real JWTs (HS256 with a key only the emulator knows): azure-ai-ml decodes the
`https://ml.azure.com/` token and checks its audience, and the emulated ARM verifies every bearer token's
signature, expiry and audience. Entra accepts a client assertion only when it is a token of one of the
CI issuers, unexpired, for audience `api://AzureADTokenExchange`, and its client id is not refused.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import urllib.parse
from typing import Any

import jwt

from .http import Request, Response

EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_HOST = "pipelines.actions.githubusercontent.com"
ADO_HOST = "dev.azure.com"
ADO_ISSUER = "https://vstoken.dev.azure.com/00000000-0000-0000-0000-0000000000a0"
GITHUB_REQUEST_TOKEN = "github-actions-request-token"
ADO_ACCESS_TOKEN = "azure-devops-system-access-token"


class Identity:
    def __init__(self, tenant_id: str, client_id: str) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.key = secrets.token_bytes(32)
        self.refused_clients: set[str] = set()
        self.token_lifetime_s = 3600
        self.issued: list[dict[str, Any]] = []
        self.oidc_requests = 0
        self._lock = threading.Lock()

    # --- tokens -----------------------------------------------------------------------------------------
    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="HS256")

    def access_token(self, audience: str, *, lifetime_s: int | None = None) -> str:
        now = int(time.time())
        return self._sign(
            {
                "aud": audience,
                "iss": f"https://sts.windows.net/{self.tenant_id}/",
                "iat": now,
                "nbf": now,
                "exp": now + (self.token_lifetime_s if lifetime_s is None else lifetime_s),
                "appid": self.client_id,
                "oid": "00000000-0000-0000-0000-0000000000b1",
                "tid": self.tenant_id,
                "sub": self.client_id,
            }
        )

    def verify(self, header: str, audience: str | list[str]) -> str | None:
        """None when the bearer token is valid for `audience`, else the reason."""
        if not header.lower().startswith("bearer "):
            return "no bearer token"
        try:
            jwt.decode(header.split(" ", 1)[1], self.key, algorithms=["HS256"], audience=audience)
        except jwt.ExpiredSignatureError:
            return "the token has expired"
        except jwt.InvalidAudienceError:
            return f"the token's audience is not {audience}"
        except jwt.PyJWTError as exc:
            return f"invalid token: {exc}"
        return None

    def ci_token(self, issuer: str, subject: str) -> str:
        now = int(time.time())
        return self._sign(
            {"iss": issuer, "sub": subject, "aud": EXCHANGE_AUDIENCE, "iat": now, "exp": now + 300}
        )

    # --- apps -------------------------------------------------------------------------------------------
    def entra(self, request: Request) -> Response:
        """login.microsoftonline.com: `/{tenant}/oauth2/v2.0/token` (client credentials + assertion)."""
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and request.path.endswith("openid-configuration"):
            base = f"https://login.microsoftonline.com/{parts[0]}"
            return Response.json(
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "tenant_region_scope": "EU",
                }
            )
        if request.method != "POST" or parts[1:] != ["oauth2", "v2.0", "token"]:
            return Response.json({"error": "invalid_request", "error_description": request.path}, 404)
        form = dict(urllib.parse.parse_qsl(request.body.decode()))
        client = form.get("client_id", "")
        if parts[0] != self.tenant_id:
            return _oauth_error("invalid_tenant", f"AADSTS90002: Tenant '{parts[0]}' not found.")
        if client in self.refused_clients or client != self.client_id:
            return _oauth_error(
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client}' was not found in the directory.",
            )
        assertion = form.get("client_assertion", "")
        try:
            claims = jwt.decode(assertion, self.key, algorithms=["HS256"], audience=EXCHANGE_AUDIENCE)
        except jwt.ExpiredSignatureError:
            return _oauth_error(
                "invalid_client", "AADSTS700024: Client assertion is not within its valid time range."
            )
        except jwt.PyJWTError:
            return _oauth_error(
                "invalid_client",
                "AADSTS70021: No matching federated identity record found for presented assertion.",
            )
        if claims.get("iss") not in (GITHUB_ISSUER, ADO_ISSUER):
            return _oauth_error(
                "invalid_client", "AADSTS700211: No matching federated identity record found."
            )
        scope = form.get("scope", "")
        # The audience is the resource the scope names (`https://ml.azure.com/.default` -> `https://ml.azure.com`,
        # which azure-ai-ml compares with its cloud's aml resource id).
        resource = scope.split(" ")[0].removesuffix("/.default")
        with self._lock:
            self.issued.append({"scope": scope, "audience": resource, "issuer": claims["iss"]})
        return Response.json(
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime_s,
                "ext_expires_in": self.token_lifetime_s,
                "access_token": self.access_token(resource),
            }
        )

    def github(self, request: Request) -> Response:
        """The job's `ACTIONS_ID_TOKEN_REQUEST_URL`: GET with the request token, `audience=` query."""
        if request.header("authorization").lower() != f"bearer {GITHUB_REQUEST_TOKEN}":
            return Response.json({"message": "Bad credentials"}, 401)
        with self._lock:
            self.oidc_requests += 1
        audience = request.query.get("audience", "")
        if audience != EXCHANGE_AUDIENCE:
            return Response.json({"message": f"unexpected audience {audience!r}"}, 400)
        return Response.json({"value": self.ci_token(GITHUB_ISSUER, "repo:owner/project:environment:dev")})

    def azure_devops(self, request: Request) -> Response:
        """`SYSTEM_OIDCREQUESTURI?serviceConnectionId=…`: POST with System.AccessToken -> {oidcToken}."""
        if request.header("authorization").lower() != f"bearer {ADO_ACCESS_TOKEN}":
            return Response.json({"message": "TF400813: The user is not authorized"}, 401)
        if not request.query.get("serviceConnectionId"):
            return Response.json({"message": "serviceConnectionId is required"}, 400)
        with self._lock:
            self.oidc_requests += 1
        return Response.json({"oidcToken": self.ci_token(ADO_ISSUER, "sc://org/project/amlops-dev")})


def _oauth_error(code: str, description: str) -> Response:
    return Response.json(
        {
            "error": code,
            "error_description": description,
            "error_codes": [int(re.match(r"AADSTS(\d+)", description)[1])],  # type: ignore[index]
        },
        400,
    )
