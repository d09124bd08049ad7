"""What a step waits for, in words: the reason the progress view and `status` give for a wait."""

from __future__ import annotations

from typing import Any

_WAITS_FOR = {
    "source": "the source image (imported or existing) to be AVAILABLE",
    "builder_slot": "a free image builder slot",
    "builder": "the image builder to be RUNNING",
    "snapshot": "the new image to be AVAILABLE",
    "export": "the export to make the AMI",
    "cleanup": "the image builder to be stopped and deleted",
    "update": "the updated image to be AVAILABLE",
}
# Lifecycle steps named after what they act on: export:<image>, rollout:<fleet>, rollback:<fleet>.
_WAITS_FOR_PREFIX = {
    "export:": "the export to make the AMI",
    "rollout:": "the fleet to take the new image",
    "rollback:": "the fleet to take its image back",
}


def waiting_for(step: str, resource: dict[str, Any] | None = None) -> str:
    if step == "snapshot" and (resource or {}).get("mode") == "manual":
        return "a person to create the image on the builder"
    if step in _WAITS_FOR:
        return _WAITS_FOR[step]
    prefix = next((prefix for prefix in _WAITS_FOR_PREFIX if step.startswith(prefix)), None)
    return _WAITS_FOR_PREFIX[prefix] if prefix else "the next check"
