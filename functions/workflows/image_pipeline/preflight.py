"""Preflight: before a run creates anything, check what would otherwise fail it hours later.

* The names the run will create are free: the imported image and the snapshot image (no
  AppStream image holds them) and the export's AMI (no AMI of this account has it, and no
  export task is making one under it). A name held by anything else fails the run at once
  with ResourceNameConflict; a name already this run's (a retried task) passes.
* An AMI to import is importable (CreateImportedImage with DryRun: the role, the AMI, the
  name). An existing source image is checked by CheckImage, the next state, also before
  anything is created.
* The roles the request names are ones the deployment may pass (`settings.passable_roles`);
  IAM would refuse any other, but only once the run reaches the call that passes it.
* An image named by ARN (`source.image_arn`) is in this region, and belongs to this account, to
  AWS, or to an account the deployment lets builders start from (`settings.shared_image_accounts`,
  the accounts CreateImageBuilder's grant names): IAM would refuse any other at CreateImageBuilder.
* The regions the image is copied to are others than the run's own and ones the deployment may
  copy to (`settings.distribution_regions`), and the image's name is free in each (and the AMI's
  name, when the exported AMI is copied too).
"""

from __future__ import annotations

from typing import Any

from functions.core import appstream, clients, export_tasks, inventory, names
from functions.core.context import Context
from functions.core.errors import InvalidPipelineRequest, ResourceNameConflict
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import ami_distribution, distribution, imports
from functions.workflows.image_pipeline.plan import Plan

STEP = "preflight"
EXPORT_IN_FLIGHT = "EXPORTING"


def preflight(context: Context, plan: Plan) -> None:
    checked = {"names": _names(plan), "source": plan.source_image_name}
    context.records.step_started(plan.run_id, STEP, checked)
    with failures_recorded(context, plan, STEP):
        _check_roles(plan, context.settings.passable_roles)
        if plan.request.source.image_arn is not None:
            _check_image_arn(plan.request.source.image_arn, plan, context.settings.shared_image_accounts)
        _check_image_names(context, _image_names(plan), plan)
        _check_regions(plan, context.settings.distribution_regions)
        if plan.ami_name:
            _check_ami_name(plan.ami_name, plan)
        if plan.request.imports:
            imports.dry_run(plan)
        context.records.step_succeeded(plan.run_id, STEP, checked, None)


def _image_names(plan: Plan) -> list[str]:
    return [name for name in (plan.imported_image_name, plan.image_name) if name]


def _names(plan: Plan) -> list[str]:
    return [*_image_names(plan), *([plan.ami_name] if plan.ami_name else [])]


def _check_roles(plan: Plan, passable: tuple[str, ...]) -> None:
    if not passable:
        return
    request = plan.request
    given = {
        "source.import_role_arn": request.source.import_role_arn,
        "builder.iam_role_arn": request.builder.iam_role_arn,
        "export.role_arn": request.export.role_arn if request.export else None,
    }
    refused = [f"{field} {arn}" for field, arn in given.items() if arn and arn not in passable]
    if refused:
        raise InvalidPipelineRequest(
            f"{STEP}: the deployment may not pass {'; '.join(refused)} to AppStream; "
            f"it may pass: {', '.join(passable)}"
        )


def _check_image_arn(arn: str, plan: Plan, shared: tuple[str, ...]) -> None:
    # arn:<partition>:appstream:<region>:<account>:image/<name>, and the execution's
    # arn:<partition>:states:<region>:<account>:execution:...
    _, _, _, region, account, _ = arn.split(":", 5)
    _, _, _, here, own, _ = plan.execution_arn.split(":", 5)
    if region != here:
        raise InvalidPipelineRequest(
            f"{STEP}: source.image_arn is an image of region {region}; a builder here ({here}) starts "
            "only from an image of its own region"
        )
    if account not in ("", own, *shared):
        allowed = ", ".join(shared) or "none"
        raise InvalidPipelineRequest(
            f"{STEP}: source.image_arn is an image of account {account}, which is not among the "
            f"deployment's shared_image_accounts ({allowed}); add it there, or start from another image"
        )


def _check_regions(plan: Plan, allowed: tuple[str, ...] | None) -> None:
    regions = plan.request.distribute.copy_to_regions if plan.request.distribute else []
    field = "distribute.copy_to_regions"
    home = distribution.home_region()
    if home in regions:
        raise InvalidPipelineRequest(f"{STEP}: {field} names {home}, the run's own region")
    refused = [region for region in regions if allowed is not None and region not in allowed]
    if refused:
        raise InvalidPipelineRequest(
            f"{STEP}: the deployment may not copy images to {', '.join(refused)} ({field}); "
            f"it may copy to: {', '.join(allowed or ()) or 'no region (settings.distribution_regions)'}"
        )
    for region in regions:
        image = appstream.find_image(plan.image_name, region)
        if image is not None and not names.same_run(appstream.tags_of(str(image["Arn"]), region), plan.tags):
            state = image.get("State")
            raise ResourceNameConflict(
                f"{STEP}: an image named {plan.image_name!r} already exists in {region} ({state}) and is "
                "not this run's; choose another snapshot.image_name, or delete that image"
            )
        if plan.ami_name and plan.request.distribute and plan.request.distribute.exported_ami:
            _check_ami_copy_name(plan.ami_name, region, plan)


def _check_ami_copy_name(ami_name: str, region: str, plan: Plan) -> None:
    ami = ami_distribution.find_ami(ami_name, region)
    if ami is not None and not names.same_run(inventory.tags_of(ami), plan.tags):
        raise ResourceNameConflict(
            f"{STEP}: the AMI {ami.get('ImageId')} in {region} is already named {ami_name!r}; choose "
            "another export.ami_name, or deregister that AMI"
        )


def _check_image_names(context: Context, wanted: list[str], plan: Plan) -> None:
    # One DescribeImages by name each: a call per name whatever the account holds, where a
    # listing of every private image costs a call per 25 of them. A name found free is marked
    # on the step, so a retry after a throttled call resumes after it: each attempt needs one
    # call to get through, however tightly DescribeImages is rate limited.
    step = context.records.get_step(plan.run_id, STEP) or {}
    for index, name in enumerate(wanted):
        marker = f"image_name_{index}_free"
        if marker in step:
            continue
        image = appstream.find_image(name)
        # Only the account's own images can hold a name it creates (AWS's base images are not).
        private = image is not None and image.get("Visibility", "PRIVATE") == "PRIVATE"
        if image is not None and private and not appstream.owned_by(image, plan.tags):
            raise ResourceNameConflict(
                f"{STEP}: an image named {name!r} already exists ({image.get('State')}) and is not "
                "this run's; choose another name, or delete that image"
            )
        context.records.first_time(plan.run_id, STEP, marker)


def _check_ami_name(ami_name: str, plan: Plan) -> None:
    found = inventory.ec2_call(
        f"DescribeImages (AMI name {ami_name!r})",
        clients.ec2().describe_images,
        Owners=["self"],
        Filters=[{"Name": "name", "Values": [ami_name]}],  # a filter EC2 documents (DescribeImages)
    ).get("Images", [])
    for ami in found:
        if not names.same_run(inventory.tags_of(ami), plan.tags):
            raise ResourceNameConflict(
                f"{STEP}: the AMI {ami.get('ImageId')} is already named {ami_name!r}; AMI names are unique "
                "per account and region: choose another export.ami_name, or deregister that AMI"
            )
    task = _export_in_flight(ami_name, plan)
    if task is not None:
        raise ResourceNameConflict(
            f"{STEP}: export task {task.get('TaskId')} is already exporting {task.get('ImageArn')} to an AMI "
            f"named {ami_name!r}; choose another export.ami_name"
        )


def _export_in_flight(ami_name: str, plan: Plan) -> dict[str, Any] | None:
    for task in export_tasks.every_task(f"ListExportImageTasks (AMI name {ami_name!r})"):
        ours = names.same_run(task.get("TagSpecifications") or {}, plan.tags)
        if task.get("AmiName") == ami_name and task.get("State") == EXPORT_IN_FLIGHT and not ours:
            return task
    return None
