"""The builder agent, simulated: it finds its job document, "runs" it, reports, and makes the image.

On a real builder an agent baked into the imported AMI polls S3 for
`jobs/<builder>/job.json`, runs the pinned scripts, writes `result.json`, then runs
Image Assistant `create-image`, which moves the builder to SNAPSHOTTING and creates
the image. Here the same happens on the emulator clock, reading and writing the same
documents through a `JobsStore`.
"""

from __future__ import annotations

import hashlib
import logging

from botocore.exceptions import BotoCoreError, ClientError

from agent_contract.documents import AgentJob, AgentResult, ScriptResult, StepResult

from .account import Account
from .image_lifecycle import cannot_create, create_image
from .jobs import JobDocumentError, JobsStore
from .resources import AgentRun, ImageBuilder
from .timeline import timestamp

logger = logging.getLogger(__name__)

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


class BuilderAgent:
    def __init__(self, store: JobsStore) -> None:
        self.store = store

    def builder_running(self, account: Account, builder: ImageBuilder, when: float) -> None:
        """A builder just came up: its agent looks for a job straight away."""
        builder.running_since = when
        self._look_for_job(account, builder, when)

    def next_poll(self, account: Account, now: float) -> float | None:
        """The next look for a job, while a running builder's agent has none (every poll period)."""
        idle = any(b.state == "RUNNING" and b.agent_run is None for b in account.builders.values())
        return now + AGENT_POLL_SECONDS if idle else None

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
            started_at=timestamp(when),
            finished_at=timestamp(when),
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
                started_at=timestamp(start),
                finished_at=timestamp(end),
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
            started_at=timestamp(start),
            finished_at=timestamp(end),
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
                started_at=timestamp(start + index * share),
                finished_at=timestamp(start + (index + 1) * share),
                output_tail=failure if failed and failure else "",
            )
        )
    return results
