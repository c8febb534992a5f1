"""The one door to the MTurk API: every call is logged (MTurkCall) and throttled calls are
retried with exponential backoff. Retrying is safe: calls that create something carry a
UniqueRequestToken, and the others (approve, block, qualify) are idempotent."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore import xform_name
from botocore.client import BaseClient
from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from core.errors import FinelabelError
from crowd.models import MTurkCall
from crowd.mturk.client import is_sandbox, make_client
from pipeline.models import Campaign

log = logging.getLogger(__name__)

RETRYABLE = {
    "ThrottlingException",
    "Throttling",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ServiceFault",  # MTurk's own 5xx
}
SECRET_WORDS = ("secret", "password", "credential", "accesskey", "sessiontoken")
MAX_RESULT_CHARS = 200_000


class MTurkError(FinelabelError):
    """An MTurk call failed for good; `code` is MTurk's error code."""

    def __init__(self, operation: str, code: str, message: str):
        super().__init__(f"{operation} failed: {code}: {message}")
        self.operation, self.code, self.message = operation, code, message


class MTurkUnavailable(FinelabelError):
    """MTurk cannot be called from here: no credentials, or its endpoint cannot be reached."""


NO_CREDENTIALS = (
    "No AWS credentials for Mechanical Turk: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(or AWS_PROFILE) in the environment."
)


def redact(value: Any) -> Any:
    """Parameters as stored in the log: any key that looks like a secret is masked."""
    if isinstance(value, dict):
        return {
            k: "***" if any(w in k.lower() for w in SECRET_WORDS) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def as_json(value: Any) -> Any:
    """Datetimes and Decimals to strings, so the log is plain JSON."""
    return json.loads(json.dumps(value, default=str))


class MTurk:
    """A boto3 mturk client with logging and retries. `sleep` is injectable for tests."""

    def __init__(
        self,
        client: BaseClient | None = None,
        *,
        campaign: Campaign | None = None,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client if client is not None else make_client()
        self.sandbox = is_sandbox(self.client)
        self.campaign = campaign
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep

    def call(self, operation: str, **params: Any) -> dict:
        """Call `operation` (MTurk's name, e.g. "CreateHITWithHITType") and log each attempt.
        Throttling and service faults are retried with full-jitter backoff; any other error
        raises MTurkError at once, and missing credentials or an endpoint that cannot be
        reached raise MTurkUnavailable (one line saying what to set)."""
        method = getattr(self.client, xform_name(operation))
        stored_params = as_json(redact(params))
        for attempt in range(1, self.max_attempts + 1):
            started = time.monotonic()
            try:
                result = method(**params)
            except (NoCredentialsError, PartialCredentialsError) as exc:
                self._log(
                    operation, attempt, stored_params, started, code="NoCredentials", error=str(exc)
                )
                raise MTurkUnavailable(NO_CREDENTIALS) from exc
            except BotoConnectionError as exc:
                self._log(
                    operation,
                    attempt,
                    stored_params,
                    started,
                    code="ConnectionError",
                    error=str(exc),
                )
                raise MTurkUnavailable(
                    f"Cannot reach Mechanical Turk at {self.client.meta.endpoint_url} "
                    f"({operation}): check the network (or HTTPS_PROXY)."
                ) from exc
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code, message = error.get("Code", "Unknown"), error.get("Message", str(exc))
                self._log(
                    operation,
                    attempt,
                    stored_params,
                    started,
                    code=code,
                    error=message,
                    request_id=exc.response.get("ResponseMetadata", {}).get("RequestId"),
                )
                if code in RETRYABLE and attempt < self.max_attempts:
                    delay = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
                    log.warning("MTurk %s: %s, retrying in %.1fs", operation, code, delay)
                    self.sleep(delay)
                    continue
                raise MTurkError(operation, code, message) from exc
            metadata = result.pop("ResponseMetadata", {})
            self._log(
                operation,
                attempt,
                stored_params,
                started,
                result=result,
                request_id=metadata.get("RequestId"),
            )
            return result
        raise AssertionError("unreachable")  # the loop returns or raises

    def pages(self, operation: str, key: str, **params: Any) -> Iterator[dict]:
        """Every item under `key` of a paginated list call, following NextToken."""
        token = None
        while True:
            page = self.call(operation, **params, **({"NextToken": token} if token else {}))
            yield from page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return

    def _log(
        self,
        operation,
        attempt,
        params,
        started,
        *,
        result=None,
        code="",
        error="",
        request_id=None,
    ) -> None:
        stored = as_json(result) if result is not None else None
        if stored is not None and len(json.dumps(stored)) > MAX_RESULT_CHARS:
            stored = {"truncated": True, "keys": sorted(stored)}
        MTurkCall.objects.create(
            operation=operation,
            sandbox=self.sandbox,
            campaign=self.campaign,
            attempt=attempt,
            parameters=params,
            result=stored,
            error_code=code,
            error=error,
            request_id=request_id or "",
            duration_ms=int((time.monotonic() - started) * 1000),
        )
