"""Retention: keep each pipeline's newest images and exported AMIs, delete the rest, reap forgotten builders.

It touches only its own stage's resources (tagged `image-factory:stage` with the stage
the functions run in): another stage's, or one with no stage tag, is reported as left
alone, and counts for nothing. `plan` decides, for every other image and AMI tagged with
a configured pipeline and every image builder tagged with a run id, whether it is kept and
why: the newest N, in use by a fleet or builder, named by a RUNNING run's records
(`functions.workflows.retention.run_images`), still being made, run still active, or too young.
A dry run (the default) ends there with the report. Otherwise `apply` deletes, one pass
per call: images and AMIs at once, builders by stopping and then deleting them. Just
before deleting images it reads the running runs again, so a run that started after the
plan keeps its images too. An image's copies in the distribution regions go with it
(`functions.workflows.retention.copies`): a copy in use there keeps the image. AppStream
refusing to delete an image that came into use meanwhile (ResourceInUseException) is not a
failure: the image is reported "kept: in use".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from functions.core import appstream, clients, inventory, names, timeutil, waits
from functions.core.context import Context
from functions.core.errors import ImageFactoryError, RetentionIncomplete
from functions.core.plan import LifecyclePlan
from functions.core.steps import failures_recorded
from functions.core.waits import WaitProgress
from functions.workflows.retention import copies, run_images
from functions.workflows.retention.decisions import Decision, Kind, Outcome, ami_decision
from functions.workflows.retention.request import MAX_DELETIONS, RetentionRequest

PLAN_STEP = "retention:plan"
APPLY_STEP = "retention:apply"
IMAGE_IN_PROGRESS = ("PENDING", "IMPORTING", "VALIDATING", "CREATING", "COPYING", "DELETING")
# Stopping then deleting a builder (the emulator's builder_stop + builder_delete): a guess, as no
# source gives builder durations (docs/emulator-fidelity.md).
EXPECTED_BUILDER_SECONDS = 420.0
CEILING_SECONDS = 2 * 3600.0


class RetentionPhase(WaitProgress):
    dry_run: bool = True
    decisions: list[Decision] = Field(default_factory=list)


def plan_retention(context: Context, plan: LifecyclePlan) -> RetentionPhase:
    """Decide what is kept and what is deleted, and why; record the decisions on the plan step."""
    request = plan.typed(RetentionRequest)
    context.records.step_started(plan.run_id, PLAN_STEP, {"pipelines": request.pipelines})
    with failures_recorded(context, plan, PLAN_STEP):
        fleets, builders = inventory.fleets(), inventory.image_builders()
        users = inventory.image_users(fleets, builders)
        surveys = copies.survey(context.settings.distribution_regions or (), request.pipelines)
        for name, elsewhere in copies.users_elsewhere(surveys).items():
            users[name] = [*users.get(name, []), *elsewhere]  # a copy in use keeps its image
        # Only this stage's resources: another stage's, or one with no stage tag, is listed and left alone.
        stage = context.settings.stage
        running = run_images.images_of_running_runs(context.records)
        decisions = _image_decisions(request, stage, users, running)
        decisions += copies.copy_decisions(decisions, surveys, stage)
        if request.amis:
            amis = _ami_decisions(request, stage)
            regions = context.settings.distribution_regions or ()
            decisions += [*amis, *copies.ami_copy_decisions(amis, regions, request.pipelines, stage)]
        if request.reap_builders:
            decisions += _builder_decisions(context, request, stage, builders)
        decisions = _within_limit(decisions)
        phase = RetentionPhase(dry_run=request.dry_run, decisions=decisions)
        context.records.step_succeeded(plan.run_id, PLAN_STEP, _counts(phase), 0)
        # The run record itself lists every decision, so the API and `image-factory runs` show the report.
        context.records.record_phase(plan.run_id, "retention", 0, _listing(phase))
        return phase


def _image_decisions(
    request: RetentionRequest, stage: str, users: dict[str, list[str]], running: dict[str, list[str]]
) -> list[Decision]:
    by_pipeline: dict[str, list[dict[str, Any]]] = {}
    decisions = []
    for image in inventory.private_images():
        tags = appstream.tags_of(str(image["Arn"]))
        pipeline = tags.get(names.TAG_PIPELINE)
        if pipeline not in request.pipelines:
            continue
        elsewhere = _other_stage(tags.get(names.TAG_STAGE), stage)
        if elsewhere:
            # Listed, so the report says why it was left; never one of this stage's newest N.
            decisions.append(
                _left_alone("image", str(image["Name"]), pipeline, image.get("CreatedTime"), elsewhere)
            )
        else:
            by_pipeline.setdefault(pipeline, []).append(image)
    for pipeline, images in sorted(by_pipeline.items()):
        kept = 0
        newest_first = sorted(
            images, key=lambda item: (_moment(item.get("CreatedTime")), str(item["Name"])), reverse=True
        )
        for image in newest_first:
            name, state = str(image["Name"]), str(image.get("State"))
            used = users.get(str(image["Arn"]), []) + users.get(name, [])
            if state in IMAGE_IN_PROGRESS:
                keep, reason = True, f"{state}: still being made or changed"
            elif state == "AVAILABLE" and kept < request.keep_images:
                kept += 1
                keep, reason = True, f"one of the newest {request.keep_images} AVAILABLE images"
            elif used:
                keep, reason = True, "in use by " + ", ".join(sorted(set(used)))
            elif name in running:
                keep, reason = True, run_images.reason(running[name])
            else:
                keep = False
                reason = (
                    "FAILED image" if state == "FAILED" else f"older than the newest {request.keep_images}"
                )
            decisions.append(
                Decision(
                    kind="image",
                    name=name,
                    pipeline=pipeline,
                    created=_iso(image.get("CreatedTime")),
                    delete=not keep,
                    reason=reason,
                )
            )
    return decisions


def _ami_decisions(request: RetentionRequest, stage: str) -> list[Decision]:
    """A decision on each exported AMI of the pipelines in the stack's region (`ami_name` set)."""
    by_pipeline: dict[str, list[dict[str, Any]]] = {}
    decisions = []
    for ami in inventory.exported_amis(request.pipelines):
        pipeline = inventory.tag_value(ami, names.TAG_PIPELINE)
        if pipeline not in request.pipelines:
            continue
        elsewhere = _other_stage(inventory.tag_value(ami, names.TAG_STAGE), stage)
        if elsewhere:
            reason = f"{ami.get('Name')}: {elsewhere}"
            decisions.append(
                _left_alone("ami", str(ami["ImageId"]), pipeline, ami.get("CreationDate"), reason)
            )
        else:
            by_pipeline.setdefault(pipeline, []).append(ami)
    for _pipeline, amis in sorted(by_pipeline.items()):
        # Newest first; AMIs made within the same second fall back on their names (which carry dates).
        ordered = sorted(
            amis, key=lambda ami: (str(ami.get("CreationDate", "")), str(ami.get("Name"))), reverse=True
        )
        for rank, ami in enumerate(ordered):
            state = str(ami.get("State", "available"))
            if state == "pending":
                keep, reason = True, "pending: still being made"
            elif rank < request.keep_amis:
                keep, reason = True, f"one of the newest {request.keep_amis} exported AMIs"
            else:
                keep, reason = False, f"older than the newest {request.keep_amis} exported AMIs"
            decisions.append(ami_decision(ami, delete=not keep, reason=f"{ami.get('Name')}: {reason}"))
    return decisions


def _builder_decisions(
    context: Context, request: RetentionRequest, stage: str, builders: list[dict[str, Any]]
) -> list[Decision]:
    """Builders a run of this stage made (tagged with its run id and stage), whose run is no longer active."""
    decisions = []
    limit = request.builder_max_age_hours * 3600
    for builder in builders:
        tags = appstream.tags_of(str(builder["Arn"]))
        run_id = tags.get(names.TAG_RUN_ID)
        if run_id is None:
            continue  # not made by a run of this product: never touched
        elsewhere = _other_stage(tags.get(names.TAG_STAGE), stage)
        if elsewhere:
            # Its run is in another stage's runs table: "unknown" here says nothing about it.
            pipeline, created = tags.get(names.TAG_PIPELINE), builder.get("CreatedTime")
            decisions.append(_left_alone("builder", str(builder["Name"]), pipeline, created, elsewhere))
            continue
        run = context.records.get_run(run_id)
        status = str(run["status"]) if run else "unknown to the runs table"
        age = timeutil.now_epoch() - _moment(builder.get("CreatedTime"))
        if status == "RUNNING":
            keep, reason = True, f"run {run_id} is still RUNNING"
        elif age < limit:
            keep, reason = True, f"younger than {request.builder_max_age_hours:g} h (run {run_id}: {status})"
        else:
            keep, reason = False, f"left by run {run_id} ({status}), {age / 3600:.0f} h old"
        decisions.append(
            Decision(
                kind="builder",
                name=str(builder["Name"]),
                pipeline=run.get("pipeline") if run else None,
                created=_iso(builder.get("CreatedTime")),
                delete=not keep,
                reason=reason,
            )
        )
    return decisions


def _other_stage(tagged: str | None, stage: str) -> str | None:
    """Why a resource is not this stage's to delete, or None when it is."""
    if tagged == stage:
        return None
    if tagged is None:
        return f"no {names.TAG_STAGE} tag: not known to be stage {stage}'s"
    return f"stage {tagged}'s: only its own retention deletes it"


def _left_alone(kind: Kind, name: str, pipeline: str | None, created: Any, reason: str) -> Decision:
    when = created if isinstance(created, str) else _iso(created)
    return Decision(kind=kind, name=name, pipeline=pipeline, created=when, delete=False, reason=reason)


def _within_limit(decisions: list[Decision]) -> list[Decision]:
    """At most MAX_DELETIONS deletions per run: the rest are kept for the next run."""
    chosen = 0
    bounded = []
    for decision in decisions:
        if decision.delete:
            chosen += 1
            if chosen > MAX_DELETIONS:
                decision = decision.model_copy(
                    update={"delete": False, "reason": f"over this run's {MAX_DELETIONS} deletions: next run"}
                )
        bounded.append(decision)
    return bounded


def apply(context: Context, plan: LifecyclePlan, phase: RetentionPhase) -> RetentionPhase:
    """One pass over the pending deletions; done when every chosen resource is deleted, kept or failed."""
    request = plan.typed(RetentionRequest)
    if phase.started_at is None:
        context.records.step_started(plan.run_id, APPLY_STEP, _counts(phase))
        schedule = waits.phase_timing(
            context,
            plan.pipeline,
            "retention_builders",
            request.waits.builders,
            EXPECTED_BUILDER_SECONDS,
            CEILING_SECONDS,
        )
        phase = waits.begin(phase, schedule, context, check_first=True)
    with failures_recorded(context, plan, APPLY_STEP):
        deleting_images = any(_open(decision) and decision.kind == "image" for decision in phase.decisions)
        running = run_images.images_of_running_runs(context.records) if deleting_images else {}
        decisions = [
            _delete(decision, running) if _open(decision) else decision for decision in phase.decisions
        ]
        phase = phase.model_copy(update={"decisions": decisions})
        pending = sum(1 for decision in decisions if _open(decision))
        phase = waits.checked(phase, pending == 0, context, f"{APPLY_STEP}: {pending} deletion(s) pending")
        context.records.step_polled(
            plan.run_id, APPLY_STEP, phase.polls, f"{pending} pending", phase.wait_seconds
        )
        if phase.done:
            context.records.step_succeeded(plan.run_id, APPLY_STEP, _counts(phase), waits.elapsed(phase))
        return phase


def _open(decision: Decision) -> bool:
    return decision.delete and decision.outcome in (None, "pending")


def _delete(decision: Decision, running: dict[str, list[str]]) -> Decision:
    try:
        if decision.kind == "image" and decision.name in running:
            # A run that started after the plan names this image: it is kept, as the plan would have.
            outcome, detail = "kept", run_images.reason(running[decision.name])
        elif decision.kind == "image":
            outcome, detail = _delete_image(decision.name, decision.region)
        elif decision.kind == "ami":
            outcome, detail = _delete_ami(decision)
        else:
            outcome, detail = _reap_builder(decision.name)
    except ImageFactoryError as error:
        if error.retryable:
            raise  # the state machine retries the pass; what is done stays done
        outcome, detail = "failed", str(error)
    return decision.model_copy(update={"outcome": outcome, "detail": detail})


def _delete_image(name: str, region: str | None) -> tuple[Outcome, str]:
    client = clients.appstream_in(region)
    try:
        appstream.call(
            f"DeleteImage {name!r}" + (f" in {region}" if region else ""), client.delete_image, Name=name
        )
    except ImageFactoryError as error:
        code = appstream.appstream_code(error)
        if code == "ResourceInUseException":
            # A fleet or builder took the image up after the plan: AppStream protects it, and so do we.
            return "kept", f"in use: {error}"
        if code == "ResourceNotFoundException":
            return "deleted", "already gone"
        raise
    return "deleted", "DeleteImage"


def _delete_ami(decision: Decision) -> tuple[Outcome, str]:
    inventory.deregister_ami(decision.name, decision.snapshots, decision.region)
    parts = ", ".join(decision.snapshots)
    return "deleted", "DeregisterImage" + (f"; DeleteSnapshot {parts}" if parts else "")


def _reap_builder(name: str) -> tuple[Outcome, str]:
    """One move: stop a running builder, delete a stopped one, wait for anything in between."""
    builder = appstream.find_builder(name)
    if builder is None:
        return "deleted", "DeleteImageBuilder"
    state = str(builder.get("State"))
    client = clients.appstream()
    if state == "RUNNING":
        appstream.call(f"StopImageBuilder {name!r}", client.stop_image_builder, Name=name)
        return "pending", "stopping"
    if state in ("STOPPED", "FAILED"):
        appstream.call(f"DeleteImageBuilder {name!r}", client.delete_image_builder, Name=name)
        return "pending", "deleting"
    return "pending", state


def report(context: Context, plan: LifecyclePlan, phase: RetentionPhase) -> dict[str, Any]:
    """The run's result: every decision by kind, and counts; RetentionIncomplete if some deletion failed."""
    failed = [d for d in phase.decisions if d.outcome == "failed"]
    if failed:
        raise RetentionIncomplete(
            f"{APPLY_STEP}: could not delete " + "; ".join(f"{d.kind} {d.label}: {d.detail}" for d in failed)
        )
    listing: dict[str, list[dict[str, Any]]] = {"images": [], "amis": [], "builders": []}
    for decision in phase.decisions:
        entry = decision.model_dump(exclude={"kind", "snapshots"}, exclude_none=True)
        entry["action"] = ("would delete" if phase.dry_run else "delete") if decision.delete else "keep"
        listing[f"{decision.kind}s"].append(entry)
    return {"dry_run": phase.dry_run, **listing, "summary": _counts(phase)}


def _listing(phase: RetentionPhase) -> dict[str, Any]:
    verb = "would delete" if phase.dry_run else "delete"
    return {
        "dry_run": phase.dry_run,
        "decisions": [
            f"{verb if d.delete else 'keep'} {d.kind} {d.label}: {d.reason}" for d in phase.decisions
        ],
    }


def _counts(phase: RetentionPhase) -> dict[str, Any]:
    counts: dict[str, Any] = {"dry_run": phase.dry_run}
    for kind in ("image", "ami", "builder"):
        chosen = [d for d in phase.decisions if d.kind == kind]
        counts[f"{kind}s"] = {
            "keep": sum(1 for d in chosen if not d.delete),
            "delete": sum(1 for d in chosen if d.delete),
            "deleted": sum(1 for d in chosen if d.outcome == "deleted"),
            "kept_in_use": sum(1 for d in chosen if d.outcome == "kept"),
        }
    return counts


def _moment(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return 0.0


def _iso(value: Any) -> str | None:
    return timeutil.iso(value) if isinstance(value, datetime) else None
