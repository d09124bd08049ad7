"""The snapshot: hand the builder agent its job (or ask a person), then wait for the new image.

Agent mode writes `jobs/<builder>/job.json`; the agent inside the builder runs the
pinned scripts, writes `result.json` and runs Image Assistant, which snapshots the
builder into the announced image. Manual mode announces the builder and the image
name on SNS and waits, with a long ceiling, for a person to do the same.
"""

from __future__ import annotations

import json
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from agent_contract.documents import AgentJob, ImageSpec, ScriptRef, job_key
from functions.core import appstream, clients, names, signals, timeutil, waits
from functions.core.context import Context
from functions.core.errors import ImageBuilderFailed, SnapshotFailed, classify_dependency
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import durations
from functions.workflows.image_pipeline.agent_results import read_agent_result, read_document
from functions.workflows.image_pipeline.phases import SnapshotPhase
from functions.workflows.image_pipeline.plan import Plan

STEP: Final = "snapshot"
MAX_JOB_MINUTES = 1440  # the longest job the agent accepts


def image_tags(plan: Plan) -> dict[str, str]:
    """The request's tags, the run's, and the image's volume size: its builder's root volume."""
    return {
        **plan.request.snapshot.tags,
        **names.volume_tags(plan.request.builder.root_volume_gb),
        **plan.tags,
    }


def agent_job(plan: Plan, ceiling_seconds: float) -> AgentJob:
    snapshot = plan.request.snapshot
    return AgentJob(
        run_id=plan.run_id,
        builder_name=plan.builder_name,
        image=ImageSpec(
            name=plan.image_name,
            display_name=snapshot.display_name,
            description=snapshot.description,
            tags=image_tags(plan),
        ),
        scripts=[ScriptRef(s3_uri=script.s3_uri, sha256=script.sha256) for script in snapshot.scripts],
        image_assistant=snapshot.image_assistant,
        timeout_minutes=max(1, min(MAX_JOB_MINUTES, int(ceiling_seconds // 60))),
        issued_at=timeutil.now(),
    )


def start_snapshot(context: Context, plan: Plan) -> SnapshotPhase:
    mode = plan.request.snapshot.mode
    context.records.step_started(plan.run_id, STEP, {"image_name": plan.image_name, "mode": mode})
    with failures_recorded(context, plan, STEP):
        timing = durations.timing_for(plan, "snapshot", context)
        if mode == "agent":
            if not _job_written(context, plan):
                _write_job(context, agent_job(plan, timing.ceiling_seconds))
        elif context.records.first_time(plan.run_id, STEP, "notified_at"):
            _announce(context, plan, timing.ceiling_seconds)
        phase = SnapshotPhase(image_name=plan.image_name, mode=mode)
        return waits.begin(phase, timing, context)


def wait_for_snapshot(context: Context, plan: Plan, phase: SnapshotPhase, token: str) -> None:
    """Leave the wait's token for the agent's result: the wait ends when S3 says the agent wrote
    `result.json`, or when the planned interval is up (the state machine's timeout). Once the agent
    has reported, no document is coming: the interval alone ends it (AgentReports? sends a manual
    snapshot to a plain Wait)."""
    if not phase.agent_reported:
        signals.store_token(
            context.settings.runs_table,
            signals.AGENT_RESULT,
            plan.builder_name,
            token,
            now=timeutil.now_epoch(),
        )


def check_snapshot(context: Context, plan: Plan, phase: SnapshotPhase) -> SnapshotPhase:
    with failures_recorded(context, plan, STEP):
        reported = phase.mode == "agent" and _agent_reported(context, plan)
        builder = appstream.find_builder(plan.builder_name)
        builder_state = str(builder.get("State")) if builder else "MISSING"
        image = appstream.find_image(phase.image_name)
        if image is None:
            if builder_state in {"FAILED", "MISSING", "DELETING"}:
                reason = appstream.reason_of(builder) if builder else "it was deleted"
                raise ImageBuilderFailed(
                    f"{STEP}: image builder {plan.builder_name!r} is {builder_state} before "
                    f"image {phase.image_name!r} was created: {reason}"
                )
            state = "NOT_CREATED"
        else:
            if image.get("ImageBuilderName") != plan.builder_name:
                # An imported image, or one a managed update made, has no builder name: only this
                # run's tag makes it ours, or the run would export an image it never made.
                appstream.adopt("snapshot image", image, phase.image_name, plan.tags)
            state = str(image.get("State"))
            if state == "FAILED":
                raise SnapshotFailed(
                    f"{STEP}: image {phase.image_name!r} is FAILED: {appstream.reason_of(image)}"
                )
        # The agent's scripts are done (the builder snapshots next), or the snapshot is (the image is
        # published next): what is left is planned afresh.
        progressed = (reported and not phase.agent_reported) or (
            builder_state == "STOPPED" and phase.builder_state != "STOPPED"
        )
        phase = phase.model_copy(
            update={
                "state": state,
                "builder_state": builder_state,
                "agent_reported": reported,
                "image_arn": (image or {}).get("Arn"),
            }
        )
        label = f"{STEP}: image {phase.image_name!r} ({state}, builder {builder_state})"
        phase = waits.checked(phase, state == "AVAILABLE", context, label, progressed=progressed)
        context.records.step_polled(
            plan.run_id, STEP, phase.polls, f"image {state}, builder {builder_state}", phase.wait_seconds
        )
        if phase.done:
            seconds = waits.elapsed(phase)
            resource = {"image_name": phase.image_name, "image_arn": phase.image_arn}
            context.records.step_succeeded(plan.run_id, STEP, resource, seconds)
            context.records.record_phase(plan.run_id, STEP, seconds, resource, durations.variant(plan, STEP))
        return phase


def _agent_reported(context: Context, plan: Plan) -> bool:
    """Whether the agent wrote this run's result; SnapshotFailed when that result is a failure."""
    result = read_agent_result(context.settings.jobs_bucket, plan.builder_name)
    if result is None or result.run_id not in (plan.run_id, "unknown"):
        return False
    if result.status != "FAILED":
        return True
    failed_scripts = [script.s3_uri for script in result.scripts if script.exit_code != 0]
    detail = f"; failed script(s): {', '.join(failed_scripts)}" if failed_scripts else ""
    raise SnapshotFailed(f"{STEP}: the builder agent on {plan.builder_name!r} failed: {result.error}{detail}")


def _job_written(context: Context, plan: Plan) -> bool:
    """Whether this run already handed the builder its job (a replayed start adopts it as it is).

    The agent runs a run's job once, whatever is written later; keeping the first document
    also keeps its `issued_at`, so what the agent reports matches what the run asked.
    """
    body = read_document(context.settings.jobs_bucket, job_key(plan.builder_name), "GetObject agent job")
    if body is None:
        return False
    try:
        return AgentJob.model_validate_json(body).run_id == plan.run_id
    except ValidationError:
        return False  # not a job this version can read: write this run's own


def _write_job(context: Context, job: AgentJob) -> None:
    try:
        clients.s3().put_object(
            Bucket=context.settings.jobs_bucket,
            Key=job_key(job.builder_name),
            Body=job.model_dump_json(indent=2).encode(),
            ContentType="application/json",
        )
    except (ClientError, BotoCoreError) as error:
        raise classify_dependency(error, "PutObject agent job") from error


def _announce(context: Context, plan: Plan, ceiling_seconds: float) -> None:
    message: dict[str, Any] = {
        "pipeline": plan.pipeline,
        "run_id": plan.run_id,
        "image_builder": plan.builder_name,
        "image_name": plan.image_name,
        "image_tags": image_tags(plan),
        "deadline_minutes": int(ceiling_seconds // 60),
        "instructions": (
            f"Connect to image builder {plan.builder_name}, install and configure the applications, "
            f"then create the image with Image Assistant under the exact name {plan.image_name}."
        ),
    }
    try:
        clients.sns().publish(
            TopicArn=context.settings.notification_topic_arn,
            Subject=f"Image factory: {plan.pipeline} is waiting for image {plan.image_name}"[:100],
            Message=json.dumps(message, indent=2),
        )
    except (ClientError, BotoCoreError) as error:
        raise classify_dependency(error, "Publish manual snapshot notice") from error
