"""Where the builder agent finds its job document and leaves its result: in memory or in S3."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError
from pydantic import ValidationError

from agent_contract.documents import AgentJob, AgentResult, job_key, result_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class JobDocumentError(ValueError):
    """A job document exists but is not a valid AgentJob."""


class JobsStore(Protocol):
    def read_job(self, builder_name: str) -> AgentJob | None:
        """The builder's job, or None when there is none. Raises JobDocumentError for an invalid one."""
        ...

    def write_result(self, builder_name: str, result: AgentResult) -> None: ...


class InMemoryJobsStore:
    """Jobs and results in a dict: for tests and embedded runs without S3."""

    def __init__(self) -> None:
        self.jobs: dict[str, AgentJob] = {}
        self.results: dict[str, AgentResult] = {}
        self._lock = threading.Lock()

    def put_job(self, job: AgentJob) -> None:
        with self._lock:
            self.jobs[job.builder_name] = job

    def read_job(self, builder_name: str) -> AgentJob | None:
        with self._lock:
            return self.jobs.get(builder_name)

    def write_result(self, builder_name: str, result: AgentResult) -> None:
        with self._lock:
            self.results[builder_name] = result


class S3JobsStore:
    """Jobs and results as `jobs/<builder>/job.json` / `result.json` in an S3 bucket."""

    def __init__(self, bucket: str, s3_client_factory: Callable[[], S3Client]) -> None:
        self.bucket = bucket
        self._factory = s3_client_factory
        self._client: S3Client | None = None

    @property
    def _s3(self) -> S3Client:
        if self._client is None:  # created lazily so tests and local runs can redirect it first
            self._client = self._factory()
        return self._client

    def read_job(self, builder_name: str) -> AgentJob | None:
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=job_key(builder_name))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchBucket", "404"):
                return None
            raise
        try:
            return AgentJob.model_validate_json(body)
        except ValidationError as error:
            raise JobDocumentError(str(error)) from None

    def write_result(self, builder_name: str, result: AgentResult) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=result_key(builder_name),
            Body=result.model_dump_json(indent=2).encode(),
            ContentType="application/json",
        )
