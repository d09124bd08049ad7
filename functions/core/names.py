"""Names shared by the CDK stack, the handlers, the local engine and the tests.

Anything two of those must agree on lives here exactly once: environment variable
names, the runs table's key attributes and indexes, the EventBridge source and
detail-type, and the tag keys that mark resources as belonging to a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# --- environment variables (read only by functions.core.settings) ---
ENV_RUNS_TABLE: Final = "RUNS_TABLE_NAME"
ENV_JOBS_BUCKET: Final = "JOBS_BUCKET_NAME"
ENV_NOTIFICATION_TOPIC: Final = "NOTIFICATION_TOPIC_ARN"
ENV_EVENT_BUS: Final = "EVENT_BUS_NAME"
ENV_BUILDER_SLOT_LIMIT: Final = "BUILDER_SLOT_LIMIT"
ENV_POLL_FLOOR_SECONDS: Final = "POLL_FLOOR_SECONDS"
ENV_POLL_MAX_STEP_SECONDS: Final = "POLL_MAX_STEP_SECONDS"
ENV_POLL_GUESS_STEP_SECONDS: Final = "POLL_GUESS_STEP_SECONDS"
ENV_SLOT_POLL_SECONDS: Final = "SLOT_POLL_SECONDS"
ENV_HISTORY_RUNS: Final = "HISTORY_RUNS"
ENV_PASSABLE_ROLES: Final = "PASSABLE_ROLE_ARNS"  # comma-separated: the roles the task role may pass
# comma-separated: the accounts whose shared images a builder may start from (CreateImageBuilder ImageArn)
ENV_SHARED_IMAGE_ACCOUNTS: Final = "SHARED_IMAGE_ACCOUNTS"
# comma-separated: the regions the task role may copy images to (set, even empty, by every deployment)
ENV_DISTRIBUTION_REGIONS: Final = "DISTRIBUTION_REGIONS"
# The deployment's stage (CDK context `stage`): runs tag what they create with it, and
# retention touches only resources of its own stage, so two stages share an account safely.
ENV_STAGE: Final = "IMAGE_FACTORY_STAGE"
# The run API (functions.api) reads these on top of the task functions' variables.
ENV_PIPELINE_STATE_MACHINE: Final = "PIPELINE_STATE_MACHINE_ARN"
ENV_PIPELINES_CONFIG: Final = "PIPELINES_CONFIG"  # configured pipelines as inline JSON
ENV_PIPELINES_CONFIG_URI: Final = "PIPELINES_CONFIG_URI"  # ... or as an s3://bucket/key JSON object


def env_workflow_state_machine(workflow: str) -> str:
    """The run API's variable carrying a workflow's state machine ARN: `EXPORT_BACKUP_STATE_MACHINE_ARN`
    for export-backup; the image pipeline keeps `PIPELINE_STATE_MACHINE_ARN`."""
    if workflow == "image-pipeline":
        return ENV_PIPELINE_STATE_MACHINE
    return workflow.upper().replace("-", "_") + "_STATE_MACHINE_ARN"


# --- stack outputs (CloudFormation DescribeStacks) ---
OUTPUT_RUN_API_URL: Final = "RunApiUrl"  # base URL of the run API's stage, e.g. https://x.execute-api.../v1/

# --- runs table: one item per run, one per step, plus the builder slot items ---
PARTITION_KEY: Final = "pk"
# The table's time-to-live attribute (epoch seconds): only items nothing else counts carry it (the
# waits' task tokens); a builder slot's holder expires by its own `expires_at`, beside its counter.
TTL_ATTRIBUTE: Final = "ttl"
SORT_KEY: Final = "sk"
RUN_PK_PREFIX: Final = "RUN#"  # pk of a run and of its steps: RUN#<run_id>
RUN_SK: Final = "RUN"  # sk of the run item
STEP_SK_PREFIX: Final = "STEP#"  # sk of a step item: STEP#<step>
# The step every workflow that cleans up records its cleanup under: it runs after a failure, so
# the failure is never its own.
CLEANUP_STEP: Final = "cleanup"
SLOTS_PK: Final = "SLOTS#image-builders"
SLOT_COUNTER_SK: Final = "COUNTER"
SLOT_HOLDER_SK_PREFIX: Final = "HOLDER#"  # one per run holding a slot: HOLDER#<run_id>
SLOT_WAITER_SK_PREFIX: Final = "WAITER#"  # one per run waiting for a slot: WAITER#<run_id>

# Index key attributes are set on run items only, so every index is sparse: steps and
# slots never appear in listings.
RUNS_LIST_PK: Final = "runs_pk"  # constant RUNS_LIST_VALUE: every run, newest first
RUNS_LIST_VALUE: Final = "RUNS"
RUN_PIPELINE_PK: Final = "pipeline_pk"  # the pipeline name
RUN_STATUS_PK: Final = "status_pk"  # the run status
RUN_PIPELINE_STATUS_PK: Final = "pipeline_status_pk"  # "<pipeline>#<status>": history for the planner
RUN_STARTED_SK: Final = "started_sk"  # "<ISO-8601 start>#<run_id>": sorts by start time
# Set on a run while stopping it would leave something half done (a fleet rollout moving a fleet):
# the reason the run API gives for refusing to cancel it.
RUN_CANCEL_HELD: Final = "cancel_held"


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    partition_key: str
    sort_key: str  # every key attribute is a string


RUNS_BY_START: Final = IndexDefinition("runs-by-start", RUNS_LIST_PK, RUN_STARTED_SK)
RUNS_BY_PIPELINE: Final = IndexDefinition("runs-by-pipeline", RUN_PIPELINE_PK, RUN_STARTED_SK)
RUNS_BY_STATUS: Final = IndexDefinition("runs-by-status", RUN_STATUS_PK, RUN_STARTED_SK)
RUNS_BY_PIPELINE_STATUS: Final = IndexDefinition(
    "runs-by-pipeline-status", RUN_PIPELINE_STATUS_PK, RUN_STARTED_SK
)
RUNS_TABLE_INDEXES: Final = (RUNS_BY_START, RUNS_BY_PIPELINE, RUNS_BY_STATUS, RUNS_BY_PIPELINE_STATUS)

# --- EventBridge ---
EVENT_SOURCE: Final = "image-factory"
EVENT_DETAIL_TYPE_RUN: Final = "Image Factory Run State Change"

# --- tags on every AppStream resource a run creates ---
# A request may not set a tag under this prefix: the factory's own would silently replace it.
TAG_PREFIX: Final = "image-factory:"
TAG_RUN_ID: Final = "image-factory:run-id"
TAG_PIPELINE: Final = "image-factory:pipeline"
TAG_STAGE: Final = "image-factory:stage"  # the stage whose run made it: its retention alone may delete it
# On an image a run makes: its volume size in GB, the floor of the root volume of fleets streaming
# it (DescribeImages does not report it; functions/workflows/fleet_rollout/image_volume.py).
TAG_VOLUME_GB: Final = "image-factory:volume-gb"
# On a customer's fleet: the stage whose rollouts may stop, update and start it (an opt-in).
TAG_ROLLOUT: Final = "image-factory:rollout"

# Powertools metric counting AppStream throttling the tasks met (the stack alarms on it).
APPSTREAM_THROTTLED_METRIC: Final = "AppStreamThrottled"

# --- S3 layout of the jobs bucket is owned by agent_contract.documents ---


def run_tags(run_id: str, pipeline: str, stage: str | None) -> dict[str, str]:
    """The tags a run puts on what it creates (no stage tag for a run planned without one)."""
    tags = {TAG_RUN_ID: run_id, TAG_PIPELINE: pipeline}
    return tags | ({TAG_STAGE: stage} if stage else {})


def volume_tags(size_gb: int) -> dict[str, str]:
    return {TAG_VOLUME_GB: str(size_gb)}


def tagged_volume_gb(tags: Mapping[str, str]) -> int | None:
    value = tags.get(TAG_VOLUME_GB, "")
    return int(value) if value.isdigit() else None


def same_run(found: Mapping[str, str], run: Mapping[str, str]) -> bool:
    """Whether tags `found` on a resource are the run's (`run_tags`): its id and, if it has one, its stage.

    Two stages can give runs the same id (an Image Builder trigger names a run after the
    image), and so the same resource names: the stage tells one stage's resource from the other's.
    """
    return all(found.get(key) == run[key] for key in (TAG_RUN_ID, TAG_STAGE) if key in run)


def run_pk(run_id: str) -> str:
    return f"{RUN_PK_PREFIX}{run_id}"


def step_sk(step: str) -> str:
    return f"{STEP_SK_PREFIX}{step}"


def slot_holder_sk(run_id: str) -> str:
    return f"{SLOT_HOLDER_SK_PREFIX}{run_id}"


def slot_waiter_sk(run_id: str) -> str:
    return f"{SLOT_WAITER_SK_PREFIX}{run_id}"


def table_key_schema() -> dict[str, object]:
    """The runs table's keys and indexes as CreateTable arguments (tests and the local engine)."""
    attributes = {PARTITION_KEY, SORT_KEY}
    for index in RUNS_TABLE_INDEXES:
        attributes |= {index.partition_key, index.sort_key}
    return {
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in RUNS_TABLE_INDEXES
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


# --- export backups: the last export of each image, per backup job ---
# (functions.workflows.export_backup.backup_records)
BACKUP_PK_PREFIX: Final = "BACKUP#"  # pk: BACKUP#<backup job name>
BACKUP_IMAGE_SK_PREFIX: Final = "IMAGE#"  # sk: IMAGE#<image name>


def backup_pk(job: str) -> str:
    return f"{BACKUP_PK_PREFIX}{job}"


def backup_image_sk(image_name: str) -> str:
    return f"{BACKUP_IMAGE_SK_PREFIX}{image_name}"
