"""Service errors as amlops errors, each naming the operation and the resource.

azure-core's retry policy has already retried throttling (429, honouring Retry-After) and transient 5xx
answers when an error reaches here.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from amlops.errors import AmlopsError, ConfigError, FailedError, NotFoundError, UsageError

LRO_TIMEOUT_ENV = "AMLOPS_AZURE_LRO_TIMEOUT_S"
ROLE_HINT = (
    "grant the pipeline's identity the 'AzureML Data Scientist' role on the workspace "
    "(plus 'Reader' on its resource group, and 'Storage Blob Data Contributor' on its storage for uploads)"
)


def describe(exc: BaseException, operation: str, resource: str) -> AmlopsError:
    """The amlops error for an exception raised by azure-ai-ml / azure-identity / azure-core."""
    from azure.core import exceptions as core

    message = _message(exc)
    where = f"{operation} {resource}".strip()
    if type(exc).__name__ == "ValidationException":  # azure-ai-ml refused an entity before sending it
        return ConfigError(f"{where}: azure-ai-ml refuses it: {message}")
    if isinstance(exc, core.ClientAuthenticationError):
        status = getattr(exc, "status_code", None)
        if status == 403 or "AuthorizationFailed" in message or "Forbidden" in message:
            return UsageError(f"{where}: forbidden ({message}); {ROLE_HINT}")
        return UsageError(
            f"{where}: cannot sign in to Azure ({message}); check the federated credential of the "
            "identity (issuer, subject, audience api://AzureADTokenExchange) and "
            "AZURE_CLIENT_ID/AZURE_TENANT_ID"
        )
    if isinstance(exc, core.ResourceNotFoundError):
        return NotFoundError(f"{where}: not found ({message})")
    if isinstance(exc, core.ResourceExistsError):
        return FailedError(f"{where}: conflict with the resource's current state ({message})")
    if isinstance(exc, core.HttpResponseError):
        status = exc.status_code
        if status == 403:
            return UsageError(f"{where}: forbidden ({message}); {ROLE_HINT}")
        if status == 409:
            return FailedError(f"{where}: conflict with the resource's current state ({message})")
        if status == 429:
            return FailedError(
                f"{where}: throttled by the service after retries ({message}); try again later"
            )
        if "quota" in message.lower():
            return FailedError(f"{where}: quota exceeded ({message}); request more quota or a smaller SKU")
        if status is not None and 400 <= status < 500:
            return UsageError(f"{where}: the service rejected the request (HTTP {status}: {message})")
        if status is not None and status < 400:  # a long-running operation that ended Failed
            return FailedError(f"{where}: the operation failed ({message})")
        return FailedError(f"{where}: the service failed (HTTP {status}: {message})")
    if isinstance(exc, core.ServiceRequestError | core.ServiceResponseError):
        return FailedError(f"{where}: cannot reach the service ({message})")
    if type(exc).__name__ == "CredentialUnavailableError":
        return UsageError(f"{where}: no usable Azure credential ({message})")
    return FailedError(f"{where}: {type(exc).__name__}: {message}")


def finish(poller: Any, operation: str, resource: str = "") -> Any:
    """The result of a long-running operation, waited for at most `AMLOPS_AZURE_LRO_TIMEOUT_S` seconds
    (default 3600); after that a FailedError says it goes on in Azure. Call inside `service_call`."""
    text = os.environ.get(LRO_TIMEOUT_ENV, "3600")
    try:
        timeout = float(text)
    except ValueError:
        raise UsageError(f"{LRO_TIMEOUT_ENV} must be a number of seconds, got {text!r}") from None
    poller.wait(timeout)
    if not poller.done():
        raise FailedError(
            f"{operation} {resource}: still {poller.status()} after {timeout:.0f} s ({LRO_TIMEOUT_ENV}); "
            "the operation goes on in Azure ML: check the resource in the Studio, then run the step again"
        )
    return poller.result()


def _message(exc: BaseException) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    text = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    text = " ".join(str(text).split())[:400]
    return f"{code}: {text}" if code and code not in text else text


@contextlib.contextmanager
def service_call(operation: str, resource: str = "") -> Iterator[None]:
    """Translate what the SDK raises inside the block; amlops errors pass through unchanged. What the SDK
    prints (progress dots of long-running operations) goes to stderr: stdout's last line is the result."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except AmlopsError:
        raise
    except Exception as exc:
        if _is_sdk_error(exc):
            if os.environ.get("AMLOPS_DEBUG"):
                traceback.print_exc()
            raise describe(exc, operation, resource) from exc
        raise


def _is_sdk_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("azure.", "msal")) or type(exc).__name__ in (
        "CredentialUnavailableError",
        "ClientAuthenticationError",
    )
