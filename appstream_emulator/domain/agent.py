"""The builder agent, simulated: it finds its job document, "runs" it, reports, and makes the image.

On a real builder an agent baked into the imported AMI polls S3 for
`jobs/<builder>/job.json`, runs the pinned scripts, writes `result.json`, then runs
Image Assistant `create-image`, which moves the builder to SNAPSHOTTING and creates
the image. Here the same happens on the emulator clock, reading and writing the same
documents through a `JobsStore`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from agent_contract.documents import (
    AgentJob,
    AgentResult,
    ImageSpec,
    ScriptResult,
    StepResult,
    job_key,
    result_key,
)

from .resources import AgentRun, Image, ImageBuilder
from .volumes import builder_volume_gb

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from .account import Account

logger = logging.getLogger(__name__)


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


AGENT_POLL_SECONDS = 30.0  # how often the agent inside a builder looks for its job


def _found_at(job: AgentJob, builder: ImageBuilder, seen: float) -> float:
    """When a polling agent would have found `job`: one poll period after it was written.

    The emulator only notices the job at its next API call (`seen`), which may be much
    later; dating the pickup from `issued_at` keeps simulated phase durations honest.
    """
    if job.issued_at is None:
        return seen
    ready = max(job.issued_at.timestamp(), builder.running_since or seen)
    return min(seen, ready + AGENT_POLL_SECONDS)


def _at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


class BuilderAgent:
    def __init__(self, store: JobsStore) -> None:
        self.store = store

    def builder_running(self, account: Account, builder: ImageBuilder, when: float) -> None:
        """A builder just came up: its agent looks for a job straight away."""
        builder.running_since = when
        self._look_for_job(account, builder, when)

    def poll(self, account: Account, now: float) -> None:
        for builder in list(account.builders.values()):
            if builder.state == "RUNNING" and builder.agent_run is None:
                self._look_for_job(account, builder, now)

    def _look_for_job(self, account: Account, builder: ImageBuilder, when: float) -> None:
        try:
            job = self.store.read_job(builder.name)
        except JobDocumentError as error:
            self._reject_document(builder, str(error), when)
            return
        except (ClientError, BotoCoreError) as error:  # the real agent retries on its next poll
            logger.warning("builder agent on %s cannot read its job: %s", builder.name, error)
            return
        if job is None or job.run_id in builder.handled_run_ids:
            return
        builder.handled_run_ids.add(job.run_id)
        when = _found_at(job, builder, when)
        if job.builder_name != builder.name:
            message = f"job is addressed to {job.builder_name}, not {builder.name}"
            self._write(builder, self._failure(job, message, when, when))
            return
        builder.agent_run = AgentRun(job.run_id, job.image.name, when)
        account.after(
            "agent_job", lambda end: self._job_done(account, builder, job, when, end), builder, when
        )

    def _reject_document(self, builder: ImageBuilder, problem: str, when: float) -> None:
        marker = "invalid:" + hashlib.sha256(problem.encode()).hexdigest()
        if marker in builder.handled_run_ids:
            return
        builder.handled_run_ids.add(marker)
        result = AgentResult(
            run_id="unknown",
            builder_name=builder.name,
            status="FAILED",
            error=f"invalid job document: {problem}",
            started_at=_at(when),
            finished_at=_at(when),
        )
        self._write(builder, result)

    def _job_done(
        self, account: Account, builder: ImageBuilder, job: AgentJob, start: float, end: float
    ) -> None:
        builder.agent_run = None
        fault = account.resource_faults.take("agent_job", builder.name)
        scripts = _script_results(job, start, end, failure=fault.reason if fault else None)
        if fault is not None:
            self._write(builder, self._failure(job, fault.reason, start, end, scripts))
            return
        problem = cannot_create(account, job.image.name)
        if problem is not None:
            result = self._failure(
                job, problem, start, end, scripts, StepResult(exit_code=1, message=problem)
            )
            self._write(builder, result)
            return
        self._write(
            builder,
            AgentResult(
                run_id=job.run_id,
                builder_name=builder.name,
                status="SUCCEEDED",
                image_name=job.image.name,
                scripts=scripts,
                create_image=StepResult(exit_code=0, message=f"Image {job.image.name} is being created."),
                started_at=_at(start),
                finished_at=_at(end),
            ),
        )
        create_image(account, builder, job.image, end)

    def _failure(
        self,
        job: AgentJob,
        message: str,
        start: float,
        end: float,
        scripts: list[ScriptResult] | None = None,
        create_image: StepResult | None = None,
    ) -> AgentResult:
        return AgentResult(
            run_id=job.run_id,
            builder_name=job.builder_name,
            status="FAILED",
            image_name=job.image.name,
            scripts=scripts or [],
            create_image=create_image,
            error=message,
            started_at=_at(start),
            finished_at=_at(end),
        )

    def _write(self, builder: ImageBuilder, result: AgentResult) -> None:
        try:
            self.store.write_result(builder.name, result)
        except (ClientError, BotoCoreError) as error:
            logger.warning("builder agent on %s cannot write its result: %s", builder.name, error)


def _script_results(job: AgentJob, start: float, end: float, failure: str | None) -> list[ScriptResult]:
    """Each script takes an equal share of the job's time; with a failure, the last one fails."""
    count = len(job.scripts)
    share = (end - start) / count if count else 0.0
    results = []
    for index, script in enumerate(job.scripts):
        failed = failure is not None and index == count - 1
        results.append(
            ScriptResult(
                s3_uri=script.s3_uri,
                sha256=script.sha256,
                exit_code=1 if failed else 0,
                started_at=_at(start + index * share),
                finished_at=_at(start + (index + 1) * share),
                output_tail=failure if failed and failure else "",
            )
        )
    return results


def cannot_create(account: Account, image_name: str) -> str | None:
    if image_name in account.images:
        return f"Image Assistant: an image named {image_name} already exists."
    if len(account.private_images()) >= account.scenario.quotas.images:
        return f"Image Assistant: the image quota ({account.scenario.quotas.images}) is reached."
    return None


def create_image(account: Account, builder: ImageBuilder, spec: ImageSpec, start: float) -> None:
    """Image Assistant create-image: builder SNAPSHOTTING -> STOPPED, image PENDING -> AVAILABLE."""
    from ..operations.images import finish_image  # the operations package imports this module's users

    source = next((i for i in account.images.values() if i.arn == builder.image_arn), None)
    image = Image(
        name=spec.name,
        arn=account.arn("image", spec.name),
        created=start,
        state="PENDING",
        tags=dict(spec.tags),
        image_type=source.image_type if source is not None else "NATIVE",
        platform=builder.platform,
        display_name=spec.display_name or None,
        description=spec.description or None,
        base_image_arn=builder.image_arn,
        image_builder_name=builder.name,
        agent_version=builder.agent_version,
        applications=list(source.applications) if source is not None else [],
        volume_gb=builder_volume_gb(builder, source),
        # "For private images, this date is the release date of the base image" (seed l.406).
        released=source.released if source is not None else None,
    )
    account.images[image.name] = image
    outcome = account.resource_faults.take("image", image.name)
    builder.redirect("SNAPSHOTTING")

    def snapshot_taken(when: float) -> None:
        builder.state = "STOPPED"
        account.after(
            "image_publish", lambda at: finish_image(image, outcome, "INTERNAL_ERROR", at), image, when
        )

    account.after("snapshot", snapshot_taken, builder, start)
