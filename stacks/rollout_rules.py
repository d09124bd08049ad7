"""The rules that chain fleet rollouts after the runs that make images, as plain data.

One rule per chained rollout job (`after_pipeline`, `after_managed_update`): the pattern
of the run events it matches and the input it starts the rollout with. The stack
(stacks/rollout_chain.py) deploys these rules on EventBridge and the local engine
(image_factory/local_engine/event_rules.py) puts the same ones on its local run event bus,
so a chain behaves alike in both places. Nothing here needs CDK.

Every run publishes its state changes on the run event bus, and a run that made an image
names it in its resources: the pipeline's snapshot phase (`resources.snapshot.image_name`),
the managed update's update phase (`resources.update.image_name`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from functions.core import names
from stacks.config import ConfigError, DeploymentConfig
from stacks.config_lifecycle import RolloutJob, chain_problems

ROLLOUT_WORKFLOW = "fleet-rollout"  # the workflow every chain starts (functions.workflows)

# Where a managed update run's event names the image it made (the update phase's resource).
UPDATED_IMAGE_PATH = "$.detail.resources.update.image_name"


@dataclass(frozen=True)
class EventPath:
    """A value of the target input that EventBridge takes from the matching event."""

    path: str

    @property
    def key(self) -> str:
        """The input transformer's name for the path, spelled as CDK's `EventField` spells it."""
        return re.sub(r"[^a-zA-Z0-9_-]", "-", re.sub(r"^[^a-zA-Z0-9_-]+", "", self.path))


@dataclass(frozen=True)
class ChainRule:
    """One chained rollout job's rule: which run events start its rollout, and with what input."""

    rule_id: str
    description: str
    job: str  # the rollout job it starts
    pattern: dict[str, Any]
    input: dict[str, Any]  # an EventPath value is filled in from the matching event


def run_succeeded_pattern(pipeline: str) -> dict[str, Any]:
    """The EventBridge pattern of a SUCCEEDED run of `pipeline` (as its record publishes it)."""
    return {
        "source": [names.EVENT_SOURCE],
        "detail-type": [names.EVENT_DETAIL_TYPE_RUN],
        "detail": {"pipeline": [pipeline], "status": ["SUCCEEDED"]},
    }


def new_image_path() -> str:
    """Where that event names the new image: the snapshot step's resource, in either snapshot mode."""
    return "$.detail.resources.snapshot.image_name"


def update_made_image_pattern(job: str) -> dict[str, Any]:
    """The pattern of a SUCCEEDED run of managed update job `job` that made an image.

    `exists` matches only when the run recorded an update phase: a run that found no update
    (and an image pipeline that happens to share the job's name) has no `resources.update`.
    """
    pattern = run_succeeded_pattern(job)
    pattern["detail"]["resources"] = {"update": {"image_name": [{"exists": True}]}}
    return pattern


def rollout_input(job: RolloutJob, image: Any) -> dict[str, Any]:
    """The rollout's input: the job's stored request with the image the chained run made."""
    return {**job.request, "image_name": image}


def chain_rules(config: DeploymentConfig) -> list[ChainRule]:
    """The rule of every chained rollout job of `config` (ConfigError when a chain names nothing)."""
    problems = list(chain_problems(config.lifecycle, (pipeline.name for pipeline in config.pipelines)))
    if problems:
        raise ConfigError("; ".join(problems))
    pipelines = {pipeline.name: pipeline for pipeline in config.pipelines}
    rules: list[ChainRule] = []
    for job in config.lifecycle.fleet_rollouts if config.lifecycle else ():
        if job.after_pipeline is not None:
            pipeline = pipelines[job.after_pipeline]
            rules.append(
                ChainRule(
                    f"{job.name}-after-{pipeline.name}",
                    f"Rolls out each image of pipeline {pipeline.name} (rollout job {job.name})",
                    job.name,
                    run_succeeded_pattern(pipeline.name),
                    rollout_input(job, EventPath(new_image_path())),
                )
            )
        elif job.after_managed_update is not None:
            update = job.after_managed_update
            rules.append(
                ChainRule(
                    f"{job.name}-after-update-{update}",
                    f"Rolls out each image managed update job {update} makes (rollout job {job.name})",
                    job.name,
                    update_made_image_pattern(update),
                    rollout_input(job, EventPath(UPDATED_IMAGE_PATH)),
                )
            )
    return rules


_MARK = "\u0000event-path:"  # stands in for a path while the template is serialised


def input_transformer(document: dict[str, Any]) -> dict[str, Any]:
    """The InputTransformer EventBridge gets for `document`, as CDK's `RuleTargetInput.fromObject`
    renders it: compact JSON whose event values are placeholders outside quotes (EventBridge puts
    the value there as JSON, so a string arrives quoted)."""
    paths: dict[str, str] = {}

    def marked(value: Any) -> Any:
        if isinstance(value, EventPath):
            paths[value.key] = value.path
            return f"{_MARK}{value.key}"
        if isinstance(value, dict):
            return {key: marked(item) for key, item in value.items()}
        if isinstance(value, list):
            return [marked(item) for item in value]
        return value

    template = json.dumps(marked(document), separators=(",", ":"), ensure_ascii=False)
    for key in paths:
        template = template.replace(json.dumps(f"{_MARK}{key}", ensure_ascii=False), f"<{key}>")
    return {"InputPathsMap": paths, "InputTemplate": template}
