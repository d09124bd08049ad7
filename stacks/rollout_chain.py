"""The image pipeline chained into fleet rollout, by configuration (`after_pipeline` of a rollout job).

Every run publishes its state changes on the run event bus; the SUCCEEDED one carries the
new image's name in its resources (`resources.snapshot_<mode>.image_name`). One rule per
chained job starts the fleet rollout with the job's stored request and that image. The
chain is loose on purpose: the pipeline's run has succeeded (the image is good and kept)
whatever the rollout then meets, and the rollout has its own run record.
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
        pipelines = {pipeline.name: pipeline for pipeline in config.pipelines}
        for job in config.lifecycle.fleet_rollouts if config.lifecycle else ():
            if job.after_pipeline is None:
                continue
            pipeline = pipelines.get(job.after_pipeline)
            if pipeline is None:
                raise ConfigError(
                    f"lifecycle.fleet_rollouts: {job.name}: after_pipeline {job.after_pipeline!r} "
                    "is not one of pipelines[].name"
                )
            image = events.EventField.from_path(
                new_image_path(pipeline.request.get("snapshot", {}).get("mode", "agent"))
            )
            pattern = run_succeeded_pattern(pipeline.name)
            events.Rule(
                self,
                f"{job.name}-after-{pipeline.name}",
                event_bus=bus,
                description=f"Rolls out each image of pipeline {pipeline.name} (rollout job {job.name})",
                event_pattern=events.EventPattern(
                    source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
                ),
                targets=[
                    event_targets.SfnStateMachine(
                        rollout,
                        input=events.RuleTargetInput.from_object({**job.request, "image_name": image}),
                        dead_letter_queue=dead_letters,
                        retry_attempts=3,
                    )
                ],
            )
