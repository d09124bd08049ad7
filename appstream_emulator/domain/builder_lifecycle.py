"""How an image builder moves between states once a call (or its image) sets it going."""

from __future__ import annotations

import hashlib

from .account import Account
from .resources import Image, ImageBuilder
from .timeline import timestamp

IMPORT_STATES = ("IMPORTING", "VALIDATING")


def begin_create(account: Account, builder: ImageBuilder) -> None:
    """CreateImageBuilder: the new builder comes up, or fails on its way up as a fault dictates."""
    outcome = account.resource_faults.take("image_builder", builder.name)
    builder.fails_on_start = outcome.reason if outcome is not None else None
    account.builders[builder.name] = builder
    begin_start(account, builder, account.now)


def begin_start(account: Account, builder: ImageBuilder, start: float) -> None:
    """PENDING (or PENDING_IMAGE_IMPORT while its image is still importing) -> RUNNING."""
    image = _image_of(account, builder)
    builder.state_reason = None
    builder.errors = []
    if image is not None and image.state in IMPORT_STATES:
        builder.redirect("PENDING_IMAGE_IMPORT")  # image_settled() continues from here
        return
    builder.redirect("PENDING")
    _schedule_come_up(account, builder, start)


def _schedule_come_up(account: Account, builder: ImageBuilder, start: float) -> None:
    account.after("builder_start", lambda when: _come_up(account, builder, when), builder, start)


def _come_up(account: Account, builder: ImageBuilder, when: float) -> None:
    if builder.fails_on_start is not None:
        reason, builder.fails_on_start = builder.fails_on_start, None
        fail(builder, "INTERNAL_ERROR", "INTERNAL_SERVICE_ERROR", reason, when)
        return
    builder.state = "RUNNING"
    if builder.network_access is None:  # its ENI is attached on the first start and kept until deleted
        builder.network_access = _network_interface(builder)
    if account.agent is not None:
        account.agent.builder_running(account, builder, when)


def image_settled(account: Account, image: Image, when: float) -> None:
    """An imported image finished importing: builders waiting on it go on, or fail with it."""
    for builder in account.builders.values():
        if builder.state != "PENDING_IMAGE_IMPORT" or builder.image_arn != image.arn:
            continue
        if image.state == "AVAILABLE":
            builder.redirect("PENDING")
            _schedule_come_up(account, builder, when)
        else:
            message = f"The image {image.name} failed to import and cannot be used."
            fail(builder, "IMAGE_UNAVAILABLE", "VALIDATION_ERROR", message, when)


def begin_stop(account: Account, builder: ImageBuilder, start: float) -> None:
    builder.agent_run = None  # the agent dies with the instance; it writes no result
    builder.redirect("STOPPING")
    account.after("builder_stop", lambda when: setattr(builder, "state", "STOPPED"), builder, start)


def begin_delete(account: Account, builder: ImageBuilder, start: float) -> None:
    builder.agent_run = None
    builder.redirect("DELETING")

    def gone(when: float) -> None:
        if account.builders.get(builder.name) is builder:
            del account.builders[builder.name]

    account.after("builder_delete", gone, builder, start)


def fail(builder: ImageBuilder, reason_code: str, error_code: str, message: str, when: float) -> None:
    builder.redirect("FAILED")
    builder.agent_run = None
    builder.state_reason = {"Code": reason_code, "Message": message}
    builder.errors = [{"ErrorCode": error_code, "ErrorMessage": message, "ErrorTimestamp": timestamp(when)}]


def _image_of(account: Account, builder: ImageBuilder) -> Image | None:
    return next((image for image in account.images.values() if image.arn == builder.image_arn), None)


def _network_interface(builder: ImageBuilder) -> dict[str, str]:
    """NetworkAccessConfiguration of the builder's ENI, derived from its ARN (no random draw, so the
    scenario's seeded sequence of ids is the same whether or not a builder has run)."""
    digest = hashlib.sha256(builder.arn.encode()).hexdigest()
    address = f"10.0.{int(digest[:2], 16)}.{int(digest[2:4], 16) or 1}"
    return {"EniPrivateIpAddress": address, "EniId": f"eni-{digest[4:21]}"}
