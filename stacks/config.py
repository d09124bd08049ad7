"""The deployment's configuration file: pipelines, their triggers, and the roles runs may pass.

One YAML (or JSON) file per deployment, chosen with `-c config=PATH` (default in
`cdk.json`). It is validated at synth time; a mistake stops the synth with a message
that names the file and the field, e.g. `pipelines[0].schedules[1].time_zone`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from functions.core.regions import refuse_unserved
from stacks.config_lifecycle import LifecycleConfig, chain_problems, lifecycle_problems
from stacks.config_prices import Prices
from stacks.config_schedule import Schedule, Strict
from stacks.request_contract import validate_request

ROLE_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}$"
IMAGE_PIPELINE_ARN = r"^arn:aws[a-z-]*:imagebuilder:[a-z0-9-]+:\d{12}:image-pipeline/[a-z0-9-_]+$"
PIPELINE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"  # the request's own pattern for `pipeline`
SCHEDULE_INPUT_LIMIT = 8192  # EventBridge Scheduler's limit on a target's Input
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ConfigError(ValueError):
    """The configuration file is missing or invalid; the message names the file and the field."""


# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class ImageBuilderTrigger(Strict):
    """Start the pipeline whenever this EC2 Image Builder pipeline publishes an AVAILABLE image."""

    image_pipeline_arn: str = Field(pattern=IMAGE_PIPELINE_ARN)


class Pipeline(Strict):
    name: str = Field(pattern=PIPELINE_NAME)
    description: str = Field("", max_length=256)
    request: dict[str, Any] = Field(
        description="the pipeline request (see the request JSON Schema) runs of this pipeline start with; "
        "`pipeline` defaults to `name`"
    )
    schedules: tuple[Schedule, ...] = ()
    image_builder: ImageBuilderTrigger | None = None

    @model_validator(mode="after")
    def _request_names_pipeline(self) -> Pipeline:
        stored = self.request.setdefault("pipeline", self.name)
        if stored != self.name:
            raise ValueError(f"request.pipeline {stored!r} differs from name {self.name!r}")
        size = len(json.dumps(self.request))
        if self.schedules and size > SCHEDULE_INPUT_LIMIT:
            raise ValueError(f"request is {size} characters; a schedule's input holds {SCHEDULE_INPUT_LIMIT}")
        if self.image_builder is not None and "ami_id" not in (self.request.get("source") or {}):
            raise ValueError(
                "image_builder needs request.source.ami_id (the new AMI replaces it on each run)"
            )
        return self


ROLE_KINDS = ("import", "builder", "export")


def created_role_name(stage: str, region: str, kind: str) -> str:
    """The role the stack creates when `roles.<kind>_role_arn` is left out (IAM names are per account)."""
    return f"ImageFactory-{stage}-{region}-{kind}"


ANY_STAGE = r"[a-z][a-z0-9-]*"
ANY_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"


def created_role_kind(arn: str, stage: str = ANY_STAGE, region: str = ANY_REGION) -> str | None:
    """The kind of the role `arn` names if it is one the stack creates (`created_role_name`) for a
    stage and region matching these patterns; a stored request may name such a role."""
    kinds = "|".join(ROLE_KINDS)
    found = re.fullmatch(rf"arn:aws[a-z-]*:iam::\d{{12}}:role/ImageFactory-{stage}-{region}-({kinds})", arn)
    return found.group(1) if found else None


class PassableRoles(Strict):
    """The only roles the workflow may pass to AppStream (`iam:PassRole`); the stack creates any left out."""

    import_role_arn: str | None = Field(
        None, pattern=ROLE_ARN, description="role AppStream assumes to import an AMI (default: created)"
    )
    builder_role_arn: str | None = Field(
        None, pattern=ROLE_ARN, description="role of the image builder, reads its job (default: created)"
    )
    export_role_arn: str | None = Field(
        None, pattern=ROLE_ARN, description="role AppStream assumes to export an AMI (default: created)"
    )

    def arn(self, kind: str) -> str | None:
        value: str | None = getattr(self, f"{kind}_role_arn")
        return value

    def all(self) -> tuple[str, ...]:
        """The configured ARNs (the created roles' ARNs are known only once deployed)."""
        return tuple(dict.fromkeys(arn for kind in ROLE_KINDS if (arn := self.arn(kind))))

    def __contains__(self, arn: object) -> bool:
        """Whether a request may name `arn`: a configured role, or the name of one the stack creates."""
        if arn in self.all():
            return True
        kind = created_role_kind(str(arn))
        return kind is not None and self.arn(kind) is None


class Settings(Strict):
    notification_emails: tuple[str, ...] = Field((), description="subscribed to run notifications and alarms")
    retain_data: bool = Field(
        True, description="keep the runs table and jobs bucket when the stack is deleted"
    )
    log_retention_days: int = 90
    log_execution_data: bool = Field(
        False, description="include execution input/output in state machine logs"
    )
    builder_slot_limit: int = Field(10, ge=1, le=500, description="image builders runs may hold at once")
    # Unreserved by default: Lambda keeps 100 of an account's quota unreserved, and a new account's
    # quota can be far below what reserving for every task function needs (see the README).
    task_concurrency: int | None = Field(
        None, ge=1, le=100, description="reserved concurrency per task function; null leaves them unreserved"
    )
    job_document_days: int = Field(30, ge=1, le=3650, description="days job/result documents are kept")
    api_gateway_cloudwatch_role: bool = Field(
        False,
        description="create API Gateway's logging role and set it as the account's (an account-wide "
        "setting, retained on delete): only for an account that has none yet",
    )
    termination_protection: bool = False
    # Widens CreateImageBuilder's grant, and only it, to these accounts' images (source.image_arn).
    shared_image_accounts: tuple[Annotated[str, StringConstraints(pattern=r"^\d{12}$")], ...] = Field(
        (),
        description="accounts whose images, shared with this one, a run may start its builder from "
        "(source.image_arn)",
    )

    @field_validator("shared_image_accounts")
    @classmethod
    def _accounts_once(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(values)) != len(values):
            raise ValueError("an account is listed twice")
        return values

    distribution_regions: tuple[str, ...] = Field(
        (),
        description="the regions runs may copy their images to (distribute.copy_to_regions): the task "
        "role may copy, share and delete images there, and the preflight refuses any other",
    )

    @field_validator("distribution_regions")
    @classmethod
    def _regions(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        refuse_unserved(values)
        return tuple(dict.fromkeys(values))

    @field_validator("notification_emails")
    @classmethod
    def _emails(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [value for value in values if not re.match(EMAIL, value)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return values

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return value


class DeploymentConfig(Strict):
    """The whole file."""

    schema_: str | None = Field(None, alias="$schema")
    roles: PassableRoles = PassableRoles()
    settings: Settings = Settings()
    pipelines: tuple[Pipeline, ...] = ()
    lifecycle: LifecycleConfig | None = Field(
        None, description="export backups, managed updates, fleet rollouts and retention jobs"
    )
    prices: Prices = Field(Prices(), description="what each run's cost line is computed with")

    @model_validator(mode="after")
    def _unique_names(self) -> DeploymentConfig:
        seen: set[str] = set()
        for index, pipeline in enumerate(self.pipelines):
            if pipeline.name in seen:
                raise ValueError(f"pipelines[{index}].name: {pipeline.name!r} is used twice")
            seen.add(pipeline.name)
        return self

    def pipeline(self, name: str) -> Pipeline:
        return next(pipeline for pipeline in self.pipelines if pipeline.name == name)

    def rollout_fleets(self) -> tuple[tuple[str | None, str], ...]:
        """The fleets the rollout jobs name, as (region, name), None for the stack's region: with the
        fleets tagged for the stage, the only fleets the workflows may stop, start or update."""
        jobs = self.lifecycle.fleet_rollouts if self.lifecycle else ()
        fleets = {
            (fleet.get("region"), str(fleet["name"]))
            for job in jobs
            for fleet in job.request.get("fleets", [])
        }
        return tuple(sorted(fleets, key=lambda fleet: (fleet[0] or "", fleet[1])))


def load_config(path: Path) -> DeploymentConfig:
    """Read and validate the file; raise ConfigError naming the file and the bad field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration file ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ConfigError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
        ) from None
    try:
        config = DeploymentConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{path}: " + "; ".join(_describe(error.errors()))) from None
    problems = [
        *_request_problems(config),
        *_rollout_region_problems(config),
        *lifecycle_problems(config.lifecycle, config.roles),
        *chain_problems(config.lifecycle, (pipeline.name for pipeline in config.pipelines)),
    ]
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return config


def _describe(errors: Iterable[Any]) -> Iterable[str]:
    for error in errors:
        yield f"{field_path(error['loc'])}: {error['msg']}"


def field_path(location: Iterable[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(file)"


def _request_problems(config: DeploymentConfig) -> Iterable[str]:
    """Check each stored request against the workflow's own request model and the passable roles."""
    allowed = set(config.settings.distribution_regions)
    for index, pipeline in enumerate(config.pipelines):
        for problem in validate_request(pipeline.request, config.roles):
            yield f"pipelines[{index}].request{problem}"
        regions = (pipeline.request.get("distribute") or {}).get("copy_to_regions") or []
        for position, region in enumerate(regions):
            if isinstance(region, str) and region not in allowed:
                yield (
                    f"pipelines[{index}].request.distribute.copy_to_regions[{position}]: {region} is not "
                    "in settings.distribution_regions (runs may copy images only there)"
                )


def _rollout_region_problems(config: DeploymentConfig) -> Iterable[str]:
    """A rollout moves a fleet of another region to the image's copy there: only where runs copy."""
    allowed = set(config.settings.distribution_regions)
    for index, job in enumerate(config.lifecycle.fleet_rollouts if config.lifecycle else ()):
        for position, fleet in enumerate(job.request.get("fleets") or []):
            region = fleet.get("region") if isinstance(fleet, dict) else None
            if isinstance(region, str) and region not in allowed:
                yield (
                    f"lifecycle.fleet_rollouts[{index}].request.fleets[{position}].region: {region} is "
                    "not in settings.distribution_regions (rollouts move fleets only where runs copy "
                    "their images)"
                )


def json_schema() -> dict[str, Any]:
    """JSON Schema of the file, for editors (`$schema`) and for the README."""
    schema = DeploymentConfig.model_json_schema(by_alias=True)
    schema["title"] = "AppStream Image Factory deployment configuration"
    return schema
