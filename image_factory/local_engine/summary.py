"""The end-of-run report: steps, resources, what the run left behind, counters and what is left in
the emulated account."""

from __future__ import annotations

from typing import Any

from image_factory.local_engine.formatting import duration, table
from image_factory.local_engine.outcome import EngineCounters, RunOutcome, StepOutcome

CLEANUP_STEP = "cleanup"
DISTRIBUTE_STEP = "distribute"
DISTRIBUTE_AMI_STEP = "distribute_ami"


def run_summary(outcome: RunOutcome) -> str:
    headline = f"Run {outcome.run_id}: {outcome.status} in {duration(outcome.duration_seconds)} (simulated)"
    if outcome.error is not None:
        headline += f"\n  failed at {outcome.error.step}: {outcome.error.code}: {outcome.error.message}"
    rows = [
        [
            step.name,
            step.status,
            step.attempts,
            step.polls,
            duration(step.duration_seconds),
            step.detail or "",
        ]
        for step in outcome.steps
    ]
    parts = [headline, table(["step", "status", "attempts", "checks", "duration", "last seen"], rows)]
    for step, what, key in ((DISTRIBUTE_STEP, "Image", "image_name"), (DISTRIBUTE_AMI_STEP, "AMI", "ami_id")):
        reached = reached_line(outcome.resources.get(step), what, key)
        if reached:
            parts.append(reached)
    resources = _resource_lines(outcome.resources)
    if resources:
        parts.append("Resources:\n" + "\n".join(f"  {line}" for line in resources))
    left = left_behind(outcome.steps)
    if left:
        parts.append("Left behind by this run:\n" + "\n".join(f"  {line}" for line in left))
    return "\n".join(parts)


def reached_line(distributed: Any, what: str = "Image", key: str = "image_name") -> str | None:
    """The regions and accounts a distributed image (the `distribute` step's resource) or exported
    AMI (`distribute_ami`'s, with each copy's id) reached."""
    if not isinstance(distributed, dict):
        return None
    copies = distributed.get("copies")
    copies = copies if isinstance(copies, dict) else {}
    regions = [
        f"{region} ({copies[region]})" if region in copies else region
        for region in distributed.get("regions") or []
    ]
    reached = ", ".join(regions) or "its own region only"
    accounts = ", ".join(distributed.get("shared_with") or []) or "no other account"
    return f"{what} {distributed.get(key)} reached regions {reached}; shared with {accounts}"


def left_behind(steps: list[StepOutcome]) -> list[str]:
    cleanup = next((step for step in steps if step.name == CLEANUP_STEP), None)
    return left_notes(cleanup.resource.get("actions") if cleanup else None)


def left_notes(actions: list[str] | None) -> list[str]:
    """What cleanup's actions name as left behind, each with its state and how to remove it."""
    prefix = "left "  # how cleanup words an action that leaves something behind
    return [str(action).removeprefix(prefix) for action in actions or [] if str(action).startswith(prefix)]


def _resource_lines(resources: dict[str, Any]) -> list[str]:
    lines = []
    for phase, value in resources.items():
        if phase == "ami_id":
            continue
        if isinstance(value, list):  # one entry a line: retention's decisions, images skipped
            lines.append(f"{phase}: {'none' if not value else ''}".rstrip())
            lines += [f"  {entry}" for entry in value]
        elif isinstance(value, dict):
            described = ", ".join(
                f"{key}={item}"
                for key, item in value.items()
                if item not in (None, "", [], {}) and not isinstance(item, list)
            )
            lines.append(f"{phase}: {described}")
            for key, item in value.items():
                if isinstance(item, list):
                    lines.append(f"  {key}: {'none' if not item else ''}".rstrip())
                    lines += [f"    {entry}" for entry in item]
        else:
            lines.append(f"{phase}: {value}")
    # Every AMI the run made (an export backup makes one per image), named by the phase that made it
    # (its first: the AMI distribution names the exported AMI again, with its copies).
    made: dict[str, str] = {}
    for phase, value in resources.items():
        if isinstance(value, dict) and value.get("ami_id"):
            made.setdefault(str(value["ami_id"]), phase)
    amis = [f"{ami_id} ({phase})" for ami_id, phase in made.items()]
    if amis:
        lines.append(f"AMI{'s' if len(amis) > 1 else ''}: {', '.join(amis)}")
    return lines


def counters_summary(counters: EngineCounters, real_seconds: float) -> str:
    return (
        f"Counters: {counters.state_transitions} state transitions, {counters.lambda_invocations} Lambda "
        f"invocations, {counters.appstream_calls} AppStream calls; {duration(real_seconds)} of real time"
    )


def inventory_summary(inventory: dict[str, Any]) -> str:
    lines = ["Left in the emulated account:"]
    for kind, label, key in (
        ("image_builders", "image builders", "name"),
        ("images", "images", "name"),
        ("export_tasks", "export tasks", "id"),
        ("fleets", "fleets", "name"),
    ):
        entries = inventory.get(kind) or []
        described = ", ".join(f"{entry.get(key)} ({_details(entry)})" for entry in entries)
        lines.append(f"  {label}: {described or 'none'}")
    elsewhere = inventory.get("other_regions") or []
    if elsewhere:
        described = ", ".join(f"{entry['name']} ({entry['region']}, {entry['state']})" for entry in elsewhere)
        lines.append(f"  images in other regions: {described}")
    amis = inventory.get("amis") or []
    if amis:
        described = ", ".join(f"{ami['id']} {ami['name']} ({ami['region']}, {ami['state']})" for ami in amis)
        lines.append(f"  AMIs (EC2): {described}")
    return "\n".join(lines)


def _details(entry: dict[str, Any]) -> str:
    """State first, then what a person checks next: an export's AMI, a fleet's image and volume."""
    details = [str(entry.get("state"))]
    details += [str(entry[key]) for key in ("ami_id", "image") if entry.get(key)]
    if entry.get("root_volume_gb"):
        details.append(f"{entry['root_volume_gb']} GB")
    return ", ".join(details)
