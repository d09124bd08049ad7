"""How a run the run API answers reads for a person: steps and their waits, what it makes, what it
left behind.

Times after the start are shown as time since the start (+H:MM:SS), which the output says once:
on the local engine the functions' clock is simulated and runs ahead of the wall clock, so a
time of day would not match the reader's.
"""

from __future__ import annotations

from typing import Any

from image_factory.local_engine.formatting import clock, duration, plural
from image_factory.local_engine.outcome import simulated_epoch_of
from image_factory.local_engine.summary import left_notes
from image_factory.local_engine.waiting import waiting_for


def describe_run(run: dict[str, Any], local_api: str | None = None) -> str:
    origin = simulated_epoch_of(run.get("started_at"))
    workflow = run.get("workflow") or "image-pipeline"
    owner = (
        f"pipeline {run['pipeline']}" if workflow == "image-pipeline" else f"{workflow} job {run['pipeline']}"
    )
    lines = [f"{run['run_id']}  {run['status']}  {owner}"]
    started = f"  started {run.get('started_at') or '-'}"
    if origin is not None:
        started += "; times below count from the start (+H:MM:SS)"
    lines.append(started)
    finished = since(origin, run.get("finished_at"))
    if finished:
        lines.append(f"  finished at {finished}")
    lines += [f"  {describe_step(step, origin)}" for step in run.get("steps", [])]
    lines += [f"  {line}" for line in outputs(run, local_api)]
    lines += [f"  {line}" for line in closing_lines(run)]
    return "\n".join(lines)


def closing_lines(run: dict[str, Any]) -> list[str]:
    """What a person acts on once a run ended: what it left behind, its error."""
    lines = [f"left behind: {note}" for note in left_behind(run)]
    error = run.get("error")
    if error:
        lines.append(f"error in {error['step']}: {error['code']}: {error['message']}")
    return lines


def describe_step(step: dict[str, Any], origin: float | None = None) -> str:
    parts = [plural(step["polls"], "check")] if step.get("polls") else []
    status, error = step["status"], step.get("error")
    if step.get("last_state") and not error:
        parts.append(f"saw {step['last_state']}")
    next_check = since(origin, step.get("next_check_at")) if status == "RUNNING" else None
    if next_check:
        reason = waiting_for(step["step"], step.get("resource"))
        within = step.get("next_check_in_seconds")
        when = f"in {duration(within)} (at {next_check})" if within is not None else f"at {next_check}"
        parts.append(f"waiting for {reason}, next check {when}")
    if status == "SUCCEEDED" and step.get("duration_seconds") is not None:
        parts.append(f"in {duration(step['duration_seconds'])}")
    details = ", ".join(parts)
    if error:
        details += f"{': ' if details else ''}{error['code']}: {error['message']}"
    return f"{step['step']:<13} {status:<10} {details}".rstrip()


def outputs(run: dict[str, Any], local_api: str | None = None) -> list[str]:
    """What the run makes, from its step records as they start and its resources as phases end.

    `local_api`: the local run API the run is on, whose emulator takes the administrator's step.
    """
    snapshot, builder = _resource_of(run, "snapshot"), _resource_of(run, "builder")
    lines = []
    if snapshot.get("image_name"):
        lines.append(f"new image: {snapshot['image_name']}")
    if builder.get("root_volume_gb"):
        lines.append(f"root volume: {builder['root_volume_gb']} GB")
    for phase, made in (run.get("resources") or {}).items():
        if isinstance(made, dict) and made.get("ami_id"):
            lines.append(f"AMI: {made['ami_id']} ({made.get('ami_name') or phase})")
    resources = run.get("resources") or {}
    lines += [f"skipped: {entry}" for entry in resources.get("skipped") or []]
    lines += [f"decided: {entry}" for entry in (resources.get("retention") or {}).get("decisions") or []]
    step = next((s for s in run.get("steps", []) if s["step"] == "snapshot"), None)
    if step is not None and step["status"] == "RUNNING" and snapshot.get("mode") == "manual":
        lines.append(
            f"your turn: connect to image builder {builder.get('builder_name', '?')} and create "
            f"image {snapshot.get('image_name', '?')} from it (Image Assistant)"
        )
        if local_api is not None:
            lines.append(
                f"locally: image-factory emulator create-image {builder.get('builder_name', '?')} "
                f"{snapshot.get('image_name', '?')} --endpoint {local_api}"
            )
    return lines


def left_behind(run: dict[str, Any]) -> list[str]:
    return left_notes(_resource_of(run, "cleanup").get("actions"))


def since(origin: float | None, moment: Any) -> str | None:
    at = simulated_epoch_of(moment)
    return None if origin is None or at is None else clock(at - origin)


def _resource_of(run: dict[str, Any], name: str) -> dict[str, Any]:
    step = next((s for s in run.get("steps", []) if s["step"] == name), None)
    return dict((step or {}).get("resource") or {})
