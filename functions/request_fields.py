"""What every request model shares: AppStream's name patterns, constrained field types, the wait
override and the per-field error report.

Kept apart from the pipeline request (`functions.request`) so the lifecycle workflows, which
share these pieces but never the pipeline request, do not build its models when they start.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from functions.names import TAG_PREFIX

# Patterns of the AppStream API model (botocore), so a request that passes here is not
# refused by AppStream for its shape.
RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$")
AMI_NAME = re.compile(r"^[a-zA-Z0-9().\-/_]{3,128}$")
ARN = r"^arn:aws(?:-cn|-iso-b|-iso|-us-gov)?:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.\\-]{0,1023}$"  # noqa: E501
PIPELINE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"

RoleArn = Annotated[str, StringConstraints(pattern=ARN)]


def _not_reserved(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError("tag keys starting with aws: are reserved")
    return key


TagKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[\w\s_.:/=+\-@]+$"),
    AfterValidator(_not_reserved),
]


def _not_the_factorys(key: str) -> str:
    if key.lower().startswith(TAG_PREFIX):
        # The field path names the key; messages never echo what was written.
        raise ValueError(f"tags starting with {TAG_PREFIX} are set by the factory itself")
    return key


TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w\s_.:/=+\-@]*$")]
# The tags a request puts on what a run makes (a tag filter may name the factory's own).
Tags = Annotated[
    dict[Annotated[TagKey, AfterValidator(_not_the_factorys)], TagValue],
    Field(max_length=40, description=f"at most 40: the factory adds its own ({TAG_PREFIX}...)"),
]


class Section(BaseModel):
    # A misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PhaseWait(Section):
    expected_minutes: float | None = Field(None, gt=0, le=10080, description="first check near this time")
    ceiling_minutes: float | None = Field(None, gt=0, le=10080, description="fail the run after this long")

    @model_validator(mode="after")
    def _expected_within_ceiling(self) -> PhaseWait:
        if self.expected_minutes and self.ceiling_minutes and self.expected_minutes > self.ceiling_minutes:
            raise ValueError("expected_minutes cannot exceed ceiling_minutes")
        return self


class FieldError(BaseModel):
    field: str  # dotted path, e.g. "builder.root_volume_gb"; "(request)" for the whole document
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def field_errors(error: ValidationError) -> list[FieldError]:
    """One FieldError per problem pydantic found (every request model of the product reports this way)."""
    return [_field_error(item) for item in error.errors()]


def _field_error(item: Any) -> FieldError:
    location = [str(part) for part in item["loc"]]
    # pydantic reports the failing model validator of a section at the section itself.
    field = ".".join(location) or "(request)"
    message = str(item["msg"]).removeprefix("Value error, ")
    return FieldError(field=field, message=message)
