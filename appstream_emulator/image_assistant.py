"""Image Assistant's `create-image` over HTTP: the administrator's step of a manual snapshot.

No AppStream API makes an image from a builder: on AWS an administrator connects to the builder
and runs Image Assistant. Locally `image-factory emulator create-image BUILDER NAME` posts to this
route, on the emulator's HTTP front or on the local run API (whose emulator runs in its process).
It is the emulator's own route, never AppStream's, so no AppStream client can reach it by mistake.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from agent_contract.documents import ImageSpec
from appstream_emulator.errors import AppStreamError
from appstream_emulator.wire import Core

ROUTE = "/_emulator/image-assistant/create-image"


def create_image(host: Core, body: bytes) -> tuple[int, dict[str, Any]]:
    """The answer to a POST of `{"image_builder": ..., "image_name": ..., "display_name"?: ...}`."""
    try:
        document = json.loads(body or b"{}")
        builder = document.pop("image_builder")
        image = ImageSpec(name=document.pop("image_name"), **document)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        return 400, {"code": "InvalidRequest", "message": _problem(error)}
    try:
        host.run_image_assistant(str(builder), image)
    except AppStreamError as error:
        return 409, {"code": error.code, "message": error.message}
    return 202, {
        "image_builder": builder,
        "image_name": image.name,
        "message": f"image {image.name} is being created from image builder {builder}",
    }


def _problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
    if isinstance(error, KeyError):
        return f"{error.args[0]}: missing (the body is {{image_builder, image_name, display_name?}})"
    return "the body is a JSON object: {image_builder, image_name, display_name?}"
