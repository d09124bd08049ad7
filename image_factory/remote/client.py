"""A small client of the run API: JSON over HTTP, signed with SigV4 for a deployed stack.

A deployed API authorises with IAM, so each request is signed with the ambient
credentials (profile, environment, SSO) for service `execute-api`; the local server
takes requests unsigned.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

TIMEOUT_SECONDS = 35  # a little above API Gateway's 29 s integration limit


class ApiUnreachable(RuntimeError):
    """No answer from the API (wrong endpoint, server not started, network)."""


@dataclass
class ApiFailure(Exception):
    """The API answered with an error document."""

    status: int
    code: str
    message: str
    fields: list[dict[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        if self.fields:
            text += " (" + "; ".join(f"{item['field']}: {item['message']}" for item in self.fields) + ")"
        return text


class SigV4Signer:
    def __init__(self, session: Any) -> None:
        credentials = session.get_credentials()
        if credentials is None:
            raise ApiUnreachable("no AWS credentials to sign with: set a profile (--profile) or credentials")
        self._credentials = credentials
        self._region = session.region_name or "us-east-1"

    def headers(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> dict[str, str]:
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(self._credentials.get_frozen_credentials(), "execute-api", self._region).add_auth(request)
        return dict(request.headers.items())


class RunApiClient:
    def __init__(self, base_url: str, signer: SigV4Signer | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._signer = signer

    def start(
        self, document: dict[str, Any], workflow: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Start a run of `workflow` (the image pipeline by default, at POST /runs)."""
        path = (
            "/runs" if workflow in (None, "image-pipeline") else f"/workflows/{quote(workflow, safe='')}/runs"
        )
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call("POST", path, document, headers)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self._call("GET", f"/runs/{quote(run_id, safe='')}")

    def list_runs(
        self, pipeline: str | None, status: str | None, limit: int, next_token: str | None = None
    ) -> dict[str, Any]:
        query = {"pipeline": pipeline, "status": status, "limit": limit, "next_token": next_token}
        present = {name: value for name, value in query.items() if value is not None}
        return self._call("GET", f"/runs?{urlencode(present)}")

    def cancel(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"/runs/{quote(run_id, safe='')}/cancel")

    def _call(
        self,
        method: str,
        path: str,
        document: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = self.base_url + path
        body = json.dumps(document).encode() if document is not None else None
        headers = {"Accept": "application/json", **(extra_headers or {})}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._signer is not None:
            headers = self._signer.headers(method, url, body, headers)
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as error:
            raise _failure(error.code, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ApiUnreachable(f"no answer from {self.base_url}: {reason}") from None


def _failure(status: int, payload: bytes) -> ApiFailure:
    try:
        detail = json.loads(payload)["error"]
        return ApiFailure(status, str(detail["code"]), str(detail["message"]), list(detail.get("fields", [])))
    except (ValueError, KeyError, TypeError):
        # API Gateway's own answers (a missing signature, throttling) have another shape.
        text = payload.decode("utf-8", "replace").strip()
        return ApiFailure(status, f"HTTP{status}", text[:300] or "no details")
