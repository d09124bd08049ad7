"""What every request model shares: AppStream's name patterns, constrained field types, the wait
override, the lifecycle request's base, AMI name templates and the per-field error report.

Kept apart from the pipeline request (`functions.workflows.image_pipeline.request`) so the
lifecycle workflows, which share these pieces but never the pipeline request, do not build its
models when they start.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

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

from functions.core.execution import MAX_RUN_ID
from functions.core.model import Model
from functions.core.names import TAG_PREFIX
from functions.core.placeholders import NameValues, render

M = TypeVar("M", bound=BaseModel)

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


class Section(Model):
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


class FieldError(Model):
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


class LifecycleRequest(Section):
    """What every lifecycle request has: the job's name (its runs share records and history)."""

    name: str = Field(pattern=PIPELINE_NAME, description="names the job; its runs are listed under it")

    def flow(self) -> dict[str, Any]:
        """What the state machine's Choice states branch on."""
        return {}

    def initial_state(self) -> dict[str, Any]:
        """Keys the state machine reads before any task sets them (JSONPath fails on a missing key)."""
        return {}

    def summary(self) -> str:
        """One line for `image-factory validate`: what a run of this request would do."""
        return type(self).__name__


def parse_model(model: type[M], raw: Any) -> M | list[FieldError]:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        return field_errors(error)


def json_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


# `{image}` is the exported image's name, `{date}` the run's YYYYMMDD, `{run}` the run id.
AMI_PLACEHOLDERS = ("image", "date", "run")
_FIELD = re.compile(r"\{([^{}]*)\}")


def render_ami_name(template: str, image: str, date: str, run: str) -> str:
    """The AMI's name; words `{image}` already says (its run's date and id) are not said again."""
    return render(template, NameValues(pipeline="", date=date, run=run), {"image": image})


def check_ami_template(template: str) -> str:
    """Reject unknown placeholders, and a template that is not a valid AMI name once filled with
    the longest run id a run can have (the exported image's name is known only at run time)."""
    unknown = [name for name in _FIELD.findall(template) if name not in AMI_PLACEHOLDERS]
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in AMI_PLACEHOLDERS)
        raise ValueError(f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; use {allowed}")
    if not AMI_NAME.fullmatch(render_ami_name(template, "image", "20260101", "r" * MAX_RUN_ID)):
        raise ValueError(f"not a valid AMI name with the longest run id (allowed: {AMI_NAME.pattern})")
    return template
