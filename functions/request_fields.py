"""What every request model shares: AppStream's name patterns, constrained field types, the wait
override and the per-field error report.

Kept apart from the pipeline request (`functions.request`) so the lifecycle workflows, which
share these pieces but never the pipeline request, do not build its models when they start.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from functions.names import TAG_PREFIX

# Patterns of the AppStream API model (botocore), so a request that passes here is not
# refused by AppStream for its shape.
RESOURCE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$")
AMI_NAME = re.compile(r"^[a-zA-Z0-9().\-/_]{3,128}$")
ARN = r"^arn:aws(?:-cn|-iso-b|-iso|-us-gov)?:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.\\-]{0,1023}$"  # noqa: E501
PIPELINE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"

RoleArn = Annotated[str, StringConstraints(pattern=ARN)]


def _integral(value: Any) -> Any:
    """A JSON number with no fraction is an integer (JSON Schema's `integer`): 200.0 reads as 200."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer field: a JSON integer, or a number with no fraction; never a string or a boolean.
# An optional one carries its bounds before the validator, so the published schema keeps them.
JsonInt = Annotated[int, BeforeValidator(_integral)]
VolumeGb = Annotated[int, Ge(200), Le(500), BeforeValidator(_integral)]
TimeoutMinutes = Annotated[int, Ge(5), Le(10080), BeforeValidator(_integral)]


def _any_case(text: str) -> str:
    """A pattern matching `text` in any letter case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


def _not_reserved(key: str) -> str:
    if key.lower().startswith("aws:"):
        raise ValueError("tag keys starting with aws: are reserved")
    return key


# AppStream's tag pattern (botocore) allows letters, digits, spaces and _.:/=+-@; whitespace
# other than a space (a tab, a newline) is refused, so it is refused here too.
TAG_KEY_PATTERN = r"^[\w _.:/=+\-@]+$"
TAG_VALUE_PATTERN = r"^[\w _.:/=+\-@]*$"
TagKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=TAG_KEY_PATTERN),
    AfterValidator(_not_reserved),
]


def _not_the_factorys(key: str) -> str:
    if key.lower().startswith(TAG_PREFIX):
        # The field path names the key; messages never echo what was written.
        raise ValueError(f"tags starting with {TAG_PREFIX} are set by the factory itself")
    return key


TagValue = Annotated[str, StringConstraints(max_length=256, pattern=TAG_VALUE_PATTERN)]


def tag_map_schema(reserved: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    """The published schema of a tag map: the key rules (reserved prefixes, any case) on every key."""
    return {
        "type": "object",
        "propertyNames": {
            "minLength": 1,
            "maxLength": 128,
            "pattern": TAG_KEY_PATTERN,
            "not": {"anyOf": [{"pattern": "^" + _any_case(prefix) + "[\\s\\S]*$"} for prefix in reserved]},
        },
        "additionalProperties": {"type": "string", "maxLength": 256, "pattern": TAG_VALUE_PATTERN},
        **extra,
    }


# Tags a filter matches (they may name the factory's own).
TagFilter = Annotated[dict[TagKey, TagValue], WithJsonSchema(tag_map_schema(("aws:",)))]
# The tags a request puts on what a run makes.
Tags = Annotated[
    dict[Annotated[TagKey, AfterValidator(_not_the_factorys)], TagValue],
    Field(max_length=40, description=f"at most 40: the factory adds its own ({TAG_PREFIX}...)"),
    WithJsonSchema(
        tag_map_schema(
            ("aws:", TAG_PREFIX),
            maxProperties=40,
            description=f"at most 40: the factory adds its own ({TAG_PREFIX}...)",
        )
    ),
]


class Section(BaseModel):
    # A misspelt key is an error, not a silently ignored setting; a JSON type is never coerced
    # ("200" is not a number, 1 is not a boolean), as the published schema says.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)


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
