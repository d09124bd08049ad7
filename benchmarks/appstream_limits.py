"""AppStream's own constraints on the request values that reach it, read from botocore's service model.

Each entry maps a field of a request (a dotted path, `*` for any list index) to the member of
the AppStream operation it is sent as. A value breaks AppStream's constraint when it is
outside the member's min/max (length of a string, size of a list or map, value of a number),
does not match its pattern, or is not one of its enum values. Name templates are checked
after their placeholders are filled with the longest values a run can have.

The model's patterns use `\\p{L}`, `\\p{N}` and `\\p{Z}` (letters, digits, separators), which
Python's `re` lacks: each character is mapped to a stand-in of its Unicode category first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from appstream_emulator.service_model import operation_model
from functions.core.placeholders import NameValues, render

# The longest run id functions.core.execution.run_id_for produces (MAX_RUN_ID characters).
LONGEST_RUN = "r" * 40
SAMPLE_DATE = "20260101"


@dataclass(frozen=True)
class Limit:
    field: str  # dotted path in the request, `*` for every list index
    operation: str
    member: str  # dotted member path in the operation's input; `.key`/`.value` of a map
    rendered: bool = False  # a name template: checked after its placeholders are filled


def _tags(field: str, operation: str, member: str) -> list[Limit]:
    """A tag map's keys and values (its size is the schema's: the factory adds tags of its own)."""
    return [Limit(field, operation, member + ".key"), Limit(field, operation, member + ".value")]


PIPELINE = [
    Limit("source.ami_id", "CreateImportedImage", "SourceAmiId"),
    Limit("source.workspace_image_id", "CreateImportedImage", "WorkspaceImageId"),
    Limit("source.import_role_arn", "CreateImportedImage", "IamRoleArn"),
    Limit("source.image_name", "CreateImageBuilder", "ImageName"),
    Limit("source.image_arn", "CreateImageBuilder", "ImageArn"),
    Limit(
        "import.runtime_validation_instance_type",
        "CreateImportedImage",
        "RuntimeValidationConfig.IntendedInstanceType",
    ),
    Limit("import.agent_software_version", "CreateImportedImage", "AgentSoftwareVersion"),
    Limit("import.app_catalog", "CreateImportedImage", "AppCatalogConfig"),
    Limit("builder.instance_type", "CreateImageBuilder", "InstanceType"),
    Limit("builder.security_group_ids", "CreateImageBuilder", "VpcConfig.SecurityGroupIds"),
    Limit("builder.iam_role_arn", "CreateImageBuilder", "IamRoleArn"),
    Limit("builder.access_endpoints", "CreateImageBuilder", "AccessEndpoints"),
    Limit("builder.appstream_agent_version", "CreateImageBuilder", "AppstreamAgentVersion"),
    Limit(
        "builder.domain_join.organizational_unit_distinguished_name",
        "CreateImageBuilder",
        "DomainJoinInfo.OrganizationalUnitDistinguishedName",
    ),
    Limit("snapshot.image_name", "CreateUpdatedImage", "newImageName", rendered=True),
    Limit("snapshot.display_name", "CreateUpdatedImage", "newImageDisplayName"),
    Limit("snapshot.description", "CreateUpdatedImage", "newImageDescription"),
    *_tags("snapshot.tags", "CreateUpdatedImage", "newImageTags"),
    Limit("export.ami_name", "CreateExportImageTask", "AmiName", rendered=True),
    Limit("export.role_arn", "CreateExportImageTask", "IamRoleArn"),
    Limit("export.description", "CreateExportImageTask", "AmiDescription"),
    *_tags("export.tags", "CreateExportImageTask", "TagSpecifications"),
]

LIFECYCLE: dict[str, list[Limit]] = {
    "export-backup": [
        Limit("images.image_name", "CreateExportImageTask", "ImageName"),
        Limit("role_arn", "CreateExportImageTask", "IamRoleArn"),
        Limit("ami_name", "CreateExportImageTask", "AmiName", rendered=True),
        Limit("description", "CreateExportImageTask", "AmiDescription"),
        *_tags("tags", "CreateExportImageTask", "TagSpecifications"),
    ],
    "managed-update": [
        Limit("image_name", "CreateUpdatedImage", "existingImageName"),
        Limit("new_image_name", "CreateUpdatedImage", "newImageName", rendered=True),
        Limit("new_image_display_name", "CreateUpdatedImage", "newImageDisplayName"),
        Limit("new_image_description", "CreateUpdatedImage", "newImageDescription"),
        *_tags("tags", "CreateUpdatedImage", "newImageTags"),
        Limit("then_export.role_arn", "CreateExportImageTask", "IamRoleArn"),
        Limit("then_export.ami_name", "CreateExportImageTask", "AmiName", rendered=True),
        *_tags("then_export.tags", "CreateExportImageTask", "TagSpecifications"),
    ],
    "fleet-rollout": [
        Limit("image_name", "UpdateFleet", "ImageName"),
        Limit("fleets.*.name", "UpdateFleet", "Name"),
    ],
    # A pipeline name reaches AppStream as the value of the image-factory:pipeline tag.
    "retention": [Limit("pipelines.*", "CreateUpdatedImage", "newImageTags.value")],
}


@cache
def constraints(operation: str, member: str) -> dict[str, Any]:
    """min, max, pattern and enum of a member (`.key`/`.value` of a map, `.member` of a list implied)."""
    shape: Any = operation_model(operation).input_shape
    for part in member.split("."):
        if part in ("key", "value") and shape.type_name == "map":
            shape = getattr(shape, part)
        else:
            shape = shape.members[part]
        while shape.type_name == "list" and part != member.split(".")[-1]:
            shape = shape.member
    found = {key: shape.metadata[key] for key in ("min", "max", "pattern", "enum") if key in shape.metadata}
    found["type"] = shape.type_name
    return found


_CATEGORY_CLASSES = {r"\p{L}": "a-zA-Z", r"\p{N}": "0-9", r"\p{Z}": " "}


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    for category, stand_in in _CATEGORY_CLASSES.items():
        pattern = pattern.replace(category, stand_in)
    # `$` ends the text in the model's (Java) patterns; Python's also matches before a final newline.
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def _stand_ins(text: str) -> str:
    """Non-ASCII letters as `a`, digits as `0`, separators as a space; every other character kept."""
    out = []
    for character in text:
        if character.isascii():
            out.append(character)
            continue
        category = unicodedata.category(character)
        out.append({"L": "a", "N": "0", "Z": " "}.get(category[0], character))
    return "".join(out)


def breaks(value: Any, limits: dict[str, Any]) -> bool:
    """The value is outside what AppStream accepts for a member with these constraints."""
    kind = limits["type"]
    if kind == "string":
        if not isinstance(value, str):
            return True
        size: float = len(value)
    elif kind in ("list", "map"):
        if not isinstance(value, (list, dict)):
            return True
        size = len(value)
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return True
        size = value
    else:
        return False
    if size < limits.get("min", size) or size > limits.get("max", size):
        return True
    if kind == "string" and "enum" in limits and value not in limits["enum"]:
        return True
    if kind == "string" and "pattern" in limits:
        pattern = limits["pattern"]
        text = _stand_ins(value) if r"\p{" in pattern else value
        return _compiled(pattern).search(text) is None
    return False


def _values(document: Any, parts: list[str], path: list[str]) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every value at `parts` (`*`: each list index) that the document holds."""
    if not parts:
        yield ".".join(path), document
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(document, list):
            for index, item in enumerate(document):
                yield from _values(item, rest, [*path, str(index)])
    elif isinstance(document, dict) and head in document:
        yield from _values(document[head], rest, [*path, head])


def rendered_name(field: str, template: str, document: dict[str, Any]) -> str:
    """A name template with its placeholders filled by the longest values a run can have.

    An exported image's name (`{image}`) is known only when the run finds the image: a short
    stand-in is used for it."""
    if "pipeline" in document or not field.endswith("ami_name"):
        job = document.get("pipeline") or document.get("name") or ""
        return render(template, NameValues(pipeline=str(job), date=SAMPLE_DATE, run=LONGEST_RUN))
    # A lifecycle AMI name knows {image}, {date} and {run}: a {pipeline} stays unfilled.
    values = NameValues(pipeline="{pipeline}", date=SAMPLE_DATE, run=LONGEST_RUN)
    return render(template, values, {"image": "image"})


def limits_for(kind: str) -> list[Limit]:
    return PIPELINE if kind == "image-pipeline" else LIFECYCLE.get(kind, [])


def appstream_problems(kind: str, document: Any) -> set[str]:
    """Dotted paths of the values AppStream would refuse (a tag key's path ends in `[key]`)."""
    if not isinstance(document, dict):
        return set()
    problems: set[str] = set()
    for limit in limits_for(kind):
        member = constraints(limit.operation, limit.member)
        for path, value in _values(document, limit.field.split("."), []):
            if value is None:  # null is the field left out: nothing is sent
                continue
            if limit.member.endswith(".key") and isinstance(value, dict):
                problems |= {f"{path}.{key}" for key in value if breaks(key, member)}
            elif limit.member.endswith(".value") and isinstance(value, dict):
                problems |= {f"{path}.{key}" for key, item in value.items() if breaks(item, member)}
            elif limit.rendered and isinstance(value, str):
                if breaks(rendered_name(limit.field, value, document), member):
                    problems.add(path)
            elif breaks(value, member):
                problems.add(path)
    return problems
