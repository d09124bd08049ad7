"""Fleet rollouts chained after the runs that make images, by configuration.

A rollout job with `after_pipeline` rolls out the image of every SUCCEEDED run of that
image pipeline; one with `after_managed_update` rolls out the image every run of that
managed update job makes. Every run publishes its state changes on the run event bus,
and a run that made an image names it in its resources: the pipeline's snapshot phase
(`resources.snapshot_<mode>.image_name`), the managed update's update phase
(`resources.update.image_name`). One rule per chained job starts the fleet rollout with
the job's stored request and that image.

The chain is loose on purpose: the run that made the image has succeeded (the image is
good and kept) whatever the rollout then meets, the rollout has its own run record, and
a rollout that waits days for a maintenance window holds no run of the other workflow
open. A managed update that finds no update succeeds without an update phase, so its
event carries no `resources.update` and the rule does not match it.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions import names
from stacks.config import ConfigError, DeploymentConfig
from stacks.config_lifecycle import RolloutJob, chain_problems

# Where a managed update run's event names the image it made (the update phase's resource).
UPDATED_IMAGE_PATH = "$.detail.resources.update.image_name"


def run_succeeded_pattern(pipeline: str) -> dict[str, Any]:
    """The EventBridge pattern of a SUCCEEDED run of `pipeline` (as its record publishes it)."""
    return {
        "source": [names.EVENT_SOURCE],
        "detail-type": [names.EVENT_DETAIL_TYPE_RUN],
        "detail": {"pipeline": [pipeline], "status": ["SUCCEEDED"]},
    }


def new_image_path(snapshot_mode: str) -> str:
    """Where that event names the new image: the snapshot phase's resource, recorded per mode."""
    return f"$.detail.resources.snapshot_{snapshot_mode}.image_name"


def update_made_image_pattern(job: str) -> dict[str, Any]:
    """The pattern of a SUCCEEDED run of managed update job `job` that made an image.

    `exists` matches only when the run recorded an update phase: a run that found no update
    (and an image pipeline that happens to share the job's name) has no `resources.update`.
    """
    pattern = run_succeeded_pattern(job)
    pattern["detail"]["resources"] = {"update": {"image_name": [{"exists": True}]}}
    return pattern


def rollout_input(job: RolloutJob, image: str) -> dict[str, Any]:
    """The rollout's input: the job's stored request with the image the chained run made."""
    return {**job.request, "image_name": image}


class RolloutChains(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        rollout: sfn.IStateMachine,
        bus: events.IEventBus,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = list(chain_problems(config.lifecycle, (pipeline.name for pipeline in config.pipelines)))
        if problems:
            raise ConfigError("; ".join(problems))
        self._rollout, self._bus, self._dead_letters = rollout, bus, dead_letters
        pipelines = {pipeline.name: pipeline for pipeline in config.pipelines}
        for job in config.lifecycle.fleet_rollouts if config.lifecycle else ():
            if job.after_pipeline is not None:
                pipeline = pipelines[job.after_pipeline]
                mode = pipeline.request.get("snapshot", {}).get("mode", "agent")
                self._chain(
                    job,
                    f"{job.name}-after-{pipeline.name}",
                    f"Rolls out each image of pipeline {pipeline.name} (rollout job {job.name})",
                    run_succeeded_pattern(pipeline.name),
                    new_image_path(mode),
                )
            elif job.after_managed_update is not None:
                update = job.after_managed_update
                self._chain(
                    job,
                    f"{job.name}-after-update-{update}",
                    f"Rolls out each image managed update job {update} makes (rollout job {job.name})",
                    update_made_image_pattern(update),
                    UPDATED_IMAGE_PATH,
                )

    def _chain(
        self, job: RolloutJob, rule_id: str, description: str, pattern: dict[str, Any], image_path: str
    ) -> None:
        image = events.EventField.from_path(image_path)
        events.Rule(
            self,
            rule_id,
            event_bus=self._bus,
            description=description,
            event_pattern=events.EventPattern(
                source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
            ),
            targets=[
                event_targets.SfnStateMachine(
                    self._rollout,
                    input=events.RuleTargetInput.from_object(rollout_input(job, image)),
                    dead_letter_queue=self._dead_letters,
                    retry_attempts=3,
                )
            ],
        )
