"""How an image moves between states once a call, the builder agent or Image Assistant sets it going."""

from __future__ import annotations

from agent_contract.documents import ImageSpec

from .account import Account
from .builder_lifecycle import image_settled
from .faults import Outcome
from .resources import Image, ImageBuilder
from .timeline import timestamp
from .volumes import builder_volume_gb


def begin_import(account: Account, image: Image, runtime_validation: bool) -> None:
    """CreateImportedImage: IMPORTING (-> VALIDATING) -> AVAILABLE, or FAILED as a fault dictates."""
    account.images[image.name] = image
    outcome = account.resource_faults.take("imported_image", image.name)
    # Whether VALIDATING is seen without runtime validation is an assumption (docs/emulator-fidelity.md).
    validates = runtime_validation or account.scenario.assumptions.validating_phase == "always"

    def settles(when: float) -> None:
        _import_settles(account, image, outcome, runtime_validation, when)

    def imported(when: float) -> None:
        if validates:
            image.state = "VALIDATING"
            account.after("validation", settles, image, when)
        else:
            settles(when)

    account.after("import_", imported, image, account.now)


def _import_settles(
    account: Account, image: Image, outcome: Outcome | None, runtime_validation: bool, when: float
) -> None:
    if outcome is None:
        image.state = "AVAILABLE"
    else:
        image.state = "FAILED"
        image.state_reason = {"Code": "IMAGE_IMPORT_FAILURE", "Message": outcome.reason}
        # VALIDATION_ERROR reports a failed streaming test, so only runtime validation lists one.
        if runtime_validation:
            error = {"ErrorCode": "VALIDATION_ERROR", "ErrorMessage": outcome.reason}
            image.errors = [{**error, "ErrorTimestamp": timestamp(when)}]
    image_settled(account, image, when)


def begin_update(account: Account, image: Image) -> None:
    """CreateUpdatedImage: the new image PENDING -> AVAILABLE, or FAILED as a fault dictates."""
    account.images[image.name] = image
    outcome = account.resource_faults.take("image", image.name)

    def done(when: float) -> None:
        _finish(image, outcome, "IMAGE_UPDATE_FAILURE", when)

    account.after("updated_image", done, image, account.now)


def cannot_create(account: Account, image_name: str) -> str | None:
    """Why Image Assistant would refuse to create `image_name`, or None when it would not."""
    if image_name in account.images:
        return f"Image Assistant: an image named {image_name} already exists."
    if len(account.private_images()) >= account.scenario.quotas.images:
        return f"Image Assistant: the image quota ({account.scenario.quotas.images}) is reached."
    return None


def create_image(account: Account, builder: ImageBuilder, spec: ImageSpec, start: float) -> None:
    """Image Assistant create-image: builder SNAPSHOTTING -> STOPPED, image PENDING -> AVAILABLE."""
    source = next((i for i in account.images.values() if i.arn == builder.image_arn), None)
    image = Image(
        name=spec.name,
        arn=account.arn("image", spec.name),
        created=start,
        state="PENDING",
        tags=dict(spec.tags),
        image_type=source.image_type if source is not None else "NATIVE",
        platform=builder.platform,
        display_name=spec.display_name or None,
        description=spec.description or None,
        base_image_arn=builder.image_arn,
        image_builder_name=builder.name,
        agent_version=builder.agent_version,
        applications=list(source.applications) if source is not None else [],
        volume_gb=builder_volume_gb(builder, source),
        managed_software=list(builder.managed_software),
        # "For private images, this date is the release date of the base image" (seed l.406).
        released=source.released if source is not None else None,
    )
    account.images[image.name] = image
    outcome = account.resource_faults.take("image", image.name)
    builder.redirect("SNAPSHOTTING")

    def snapshot_taken(when: float) -> None:
        builder.state = "STOPPED"
        account.after("image_publish", lambda at: _finish(image, outcome, "INTERNAL_ERROR", at), image, when)

    account.after("snapshot", snapshot_taken, builder, start)


def begin_copy(source_account: Account, source: Image, destination: Account, copy: Image) -> None:
    """CopyImage: the copy PENDING -> AVAILABLE (or FAILED as a fault in its region dictates) on the
    destination's clock; with `assumptions.image_copy: source_copying` the source reads COPYING meanwhile."""
    destination.images[copy.name] = copy
    outcome = destination.resource_faults.take("image", copy.name)
    marks_source = source_account.scenario.assumptions.image_copy == "source_copying"
    if marks_source:
        source.copying += 1
        source.state = "COPYING"

    def copied(when: float) -> None:
        _finish(copy, outcome, "IMAGE_COPY_FAILURE", when)
        if marks_source:
            source.copying -= 1
            if source.copying == 0 and source.state == "COPYING":
                source.state = "AVAILABLE"

    destination.after("image_copy", copied, copy, destination.now)


def begin_delete(account: Account, image: Image) -> None:
    """DeleteImage: DELETING, then gone at once or after a while."""
    image.redirect("DELETING")
    # How long a deleted image stays listed is an assumption (docs/emulator-fidelity.md, DeleteImage).
    if account.scenario.assumptions.delete_image == "immediate":
        del account.images[image.name]
        return

    def gone(_: float) -> None:
        account.images.pop(image.name, None)

    account.after("image_delete", gone, image, account.now)


def _finish(image: Image, outcome: Outcome | None, failure_code: str, when: float) -> None:
    """A new (non-imported) image becomes AVAILABLE, or FAILED as a fault dictates."""
    if outcome is None:
        image.state = "AVAILABLE"
        return
    image.state = "FAILED"
    image.state_reason = {"Code": failure_code, "Message": outcome.reason}
    image.errors = [
        {
            "ErrorCode": "INTERNAL_SERVICE_ERROR",
            "ErrorMessage": outcome.reason,
            "ErrorTimestamp": timestamp(when),
        }
    ]
