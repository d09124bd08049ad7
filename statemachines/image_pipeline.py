"""The image pipeline: AMI -> imported image -> image builder -> snapshot -> distribution -> AMI
export -> the AMI's distribution -> cleanup.

Every task but the first and the last catches into Cleanup, which runs on success and on
every failure, then records how the run ended.
"""

from __future__ import annotations

from statemachines.dsl import (
    EXECUTION,
    JSON,
    PROGRESS,
    choice,
    equals,
    inputs,
    is_false,
    is_present,
    is_set,
    is_true,
    machine,
    outputs,
    succeed,
    task,
    until_done,
    wait,
    wait_for_signal,
)
from statemachines.runs import cancellation, record_failure, record_run, record_success

COMMENT = (
    "AppStream Image Factory: AMI -> imported image -> image builder (bigger root volume) -> snapshot"
    " -> copies in other regions and shares with other accounts -> AMI export -> the AMI's copies and"
    " shares -> cleanup. Every wait"
    " is a check task -> Choice -> Wait(SecondsPath) loop with a"
    " ceiling (the export's wait also ends on EC2's AMI state change, polling kept as the safety net);"
    " every task retries transient errors, never retries terminal ones, tries again a few"
    " times after a failure nobody named (a crashed or timed-out Lambda: the replay adopts what the"
    " first attempt created), and catches the rest into cleanup and a failure record."
)
# Each phase as the run state keeps it (the functions' phase models).
PHASES = (
    "source",
    "builder_slot",
    "builder",
    "snapshot",
    "distribute",
    "export",
    "distribute_ami",
    "cleanup",
)
SOURCE = outputs(*PROGRESS, "image_name", "image_arn", "state")
SLOT = outputs(*PROGRESS)
BUILDER = outputs(*PROGRESS, "name", "arn", "state")
SNAPSHOT = outputs(*PROGRESS, "image_name", "mode", "image_arn", "state", "builder_state", "agent_reported")
DISTRIBUTE = outputs(*PROGRESS, "image_name", "copies", "shared_with")
EXPORT = outputs(*PROGRESS, "ami_name", "task_id", "ami_id", "state")
DISTRIBUTE_AMI = outputs(*PROGRESS, "ami_id", "copies", "shared_with")
CLEANUP = outputs(*PROGRESS, "builder_state", "imported_image_state", "slot_released", "actions")


def definition() -> JSON:
    return machine(
        COMMENT,
        [
            *cancellation("image-pipeline", first="ValidateRequest", cleanup="Cleanup"),
            task(
                "ValidateRequest",
                "ValidateRequestFunctionArn",
                "Validate the pipeline request (every bad field named) and plan the run: names, tags,"
                " phases.",
                payload={"request.$": "$", "execution": EXECUTION},
                result=outputs("plan", "flow", *PHASES, "error", "cleanup_error"),
                result_path="$",
                on_error="RecordFailure",
                next="RecordRun",
            ),
            record_run("RecordRunFunctionArn", on_error="Cleanup", next="Preflight"),
            task(
                "Preflight",
                "PreflightFunctionArn",
                "Before anything is created: the names are free, the source is usable or importable"
                " (a dry run), the roles are the deployment's.",
                payload=inputs("plan"),
                result_path=None,
                on_error="Cleanup",
                next="StartsFromAmi?",
            ),
            choice(
                "StartsFromAmi?",
                "Import an EC2 AMI, or start from an existing AppStream image.",
                [is_true("$.flow.import_image", "ImportImage")],
                default="CheckImage",
            ),
            # --- source image ---
            task(
                "ImportImage",
                "ImportImageFunctionArn",
                "CreateImportedImage (adopting this run's image on a retry); plans the first look near"
                " the expected finish.",
                payload=inputs("plan"),
                result=SOURCE,
                result_path="$.source",
                quota=True,
                on_error="Cleanup",
                next="WaitForImage",
            ),
            wait("WaitForImage", "source", "Sleep as long as CheckImage planned.", next="CheckImage"),
            task(
                "CheckImage",
                "CheckImageFunctionArn",
                "Source image IMPORTING/VALIDATING/PENDING -> wait; AVAILABLE -> done; FAILED or past"
                " the ceiling -> error.",
                payload=inputs("plan", "source"),
                result=SOURCE,
                result_path="$.source",
                on_error="Cleanup",
                next="ImageAvailable?",
            ),
            until_done(
                "ImageAvailable?",
                "source",
                "Is the source image AVAILABLE?",
                then="AcquireBuilderSlot",
                otherwise="WaitForImage",
            ),
            # --- builder slot ---
            task(
                "AcquireBuilderSlot",
                "AcquireBuilderSlotFunctionArn",
                "Take a builder slot (DynamoDB counter under the builder quota), or plan the next try.",
                payload=inputs("plan", "builder_slot"),
                result=SLOT,
                result_path="$.builder_slot",
                on_error="Cleanup",
                next="BuilderSlotAcquired?",
            ),
            until_done(
                "BuilderSlotAcquired?",
                "builder_slot",
                "Did this run get a builder slot?",
                then="CreateBuilder",
                otherwise="WaitForBuilderSlot",
            ),
            wait(
                "WaitForBuilderSlot",
                "builder_slot",
                "All slots are taken: try again later.",
                next="AcquireBuilderSlot",
            ),
            # --- image builder ---
            task(
                "CreateBuilder",
                "CreateBuilderFunctionArn",
                "CreateImageBuilder from the source image with RootVolumeConfig (adopting this run's"
                " builder on a retry).",
                payload=inputs("plan"),
                result=BUILDER,
                result_path="$.builder",
                quota=True,
                on_error="Cleanup",
                next="WaitForBuilder",
            ),
            wait("WaitForBuilder", "builder", "Sleep as long as CheckBuilder planned.", next="CheckBuilder"),
            task(
                "CheckBuilder",
                "CheckBuilderFunctionArn",
                "Builder PENDING -> wait; RUNNING -> done; FAILED/STOPPED or past the ceiling -> error.",
                payload=inputs("plan", "builder"),
                result=BUILDER,
                result_path="$.builder",
                on_error="Cleanup",
                next="BuilderRunning?",
            ),
            until_done(
                "BuilderRunning?",
                "builder",
                "Is the builder RUNNING?",
                then="StartSnapshot",
                otherwise="WaitForBuilder",
            ),
            # --- snapshot ---
            task(
                "StartSnapshot",
                "StartSnapshotFunctionArn",
                "Agent mode: write the job document for the builder agent. Manual mode: announce"
                " builder and image name on SNS.",
                payload=inputs("plan"),
                result=SNAPSHOT,
                result_path="$.snapshot",
                on_error="Cleanup",
                next="AgentReports?",
            ),
            choice(
                "AgentReports?",
                "Only the builder agent writes a result S3 can announce; a person's snapshot is slept on.",
                [equals("$.snapshot.mode", "agent", "WaitForSnapshot")],
                default="SleepForSnapshot",
            ),
            wait_for_signal(
                "WaitForSnapshot",
                "WaitForSnapshotFunctionArn",
                "snapshot",
                "Wait for S3's word that the agent wrote its result (best effort), at most as long as"
                " CheckSnapshot planned.",
                payload=inputs("plan", "snapshot"),
                fallback="SleepForSnapshot",
                next="CheckSnapshot",
            ),
            wait(
                "SleepForSnapshot",
                "snapshot",
                "Manual mode, or the wait could not leave its token: sleep as long as CheckSnapshot planned.",
                next="CheckSnapshot",
            ),
            task(
                "CheckSnapshot",
                "CheckSnapshotFunctionArn",
                "Agent result FAILED -> error; new image PENDING -> wait; AVAILABLE -> done; FAILED or"
                " past the ceiling -> error.",
                payload=inputs("plan", "snapshot"),
                result=SNAPSHOT,
                result_path="$.snapshot",
                on_error="Cleanup",
                next="ImageCreated?",
            ),
            until_done(
                "ImageCreated?",
                "snapshot",
                "Is the new image AVAILABLE?",
                then="DistributeRequested?",
                otherwise="AgentReports?",
            ),
            # --- distribution: copies in other regions, shares with other accounts ---
            choice(
                "DistributeRequested?",
                "Copy the image to other regions, or only share it, when the request asks for either.",
                [is_true("$.flow.copy_image", "CopyImage"), is_true("$.flow.distribute", "ShareImage")],
                default="ExportRequested?",
            ),
            task(
                "CopyImage",
                "CopyImageFunctionArn",
                "CopyImage to each region, named as the image (a retry finds the copy a first attempt"
                " made) and tagged as the run's, since AppStream copies no tags.",
                payload=inputs("plan"),
                result=DISTRIBUTE,
                result_path="$.distribute",
                on_error="Cleanup",
                next="WaitForCopies",
            ),
            wait("WaitForCopies", "distribute", "Sleep as long as CheckCopies planned.", next="CheckCopies"),
            task(
                "CheckCopies",
                "CheckCopiesFunctionArn",
                "Every copy PENDING -> wait; all AVAILABLE -> done; one FAILED or past the ceiling ->"
                " error naming its region.",
                payload=inputs("plan", "distribute"),
                result=DISTRIBUTE,
                result_path="$.distribute",
                on_error="Cleanup",
                next="CopiesAvailable?",
            ),
            until_done(
                "CopiesAvailable?",
                "distribute",
                "Is every copy AVAILABLE in its region?",
                then="ShareImage",
                otherwise="WaitForCopies",
            ),
            task(
                "ShareImage",
                "ShareImageFunctionArn",
                "UpdateImagePermissions (fleets and image builders) of the image and each copy for every"
                " account the request names.",
                payload=inputs("plan", "distribute"),
                result=DISTRIBUTE,
                result_path="$.distribute",
                on_error="Cleanup",
                next="ExportRequested?",
            ),
            # --- AMI export ---
            choice(
                "ExportRequested?",
                "Export to an EC2 AMI only when the request asks for it.",
                [is_true("$.flow.export", "ExportImage")],
                default="Cleanup",
            ),
            task(
                "ExportImage",
                "ExportImageFunctionArn",
                "CreateExportImageTask (adopting this run's task on a retry).",
                payload=inputs("plan"),
                result=EXPORT,
                result_path="$.export",
                quota=True,
                on_error="Cleanup",
                next="WaitForExport",
            ),
            wait_for_signal(
                "WaitForExport",
                "WaitForExportFunctionArn",
                "export",
                "Wait for EC2's AMI state change (best effort), at most as long as CheckExport planned.",
                payload=inputs("plan", "export"),
                fallback="SleepForExport",
                next="CheckExport",
            ),
            wait(
                "SleepForExport",
                "export",
                "The wait could not leave its token: sleep as long as CheckExport planned.",
                next="CheckExport",
            ),
            task(
                "CheckExport",
                "CheckExportFunctionArn",
                "Export EXPORTING -> wait; COMPLETED -> done; FAILED/TIMED_OUT or past the ceiling -> error.",
                payload=inputs("plan", "export"),
                result=EXPORT,
                result_path="$.export",
                on_error="Cleanup",
                next="ExportCompleted?",
            ),
            until_done(
                "ExportCompleted?",
                "export",
                "Is the AMI exported?",
                then="DistributeAmiRequested?",
                otherwise="WaitForExport",
            ),
            # --- the exported AMI's distribution: EC2 copies in other regions, launch permissions ---
            choice(
                "DistributeAmiRequested?",
                "Copy the exported AMI to the same regions, or only share it, when the request asks.",
                [is_true("$.flow.copy_ami", "CopyAmi"), is_true("$.flow.distribute_ami", "ShareAmi")],
                default="Cleanup",
            ),
            task(
                "CopyAmi",
                "CopyAmiFunctionArn",
                "EC2 CopyImage of the AMI to each region, named as the AMI (a retry finds the copy a first"
                " attempt made) and tagged as the run's through TagSpecifications.",
                payload=inputs("plan", "export"),
                result=DISTRIBUTE_AMI,
                result_path="$.distribute_ami",
                on_error="Cleanup",
                next="WaitForAmiCopies",
            ),
            wait(
                "WaitForAmiCopies",
                "distribute_ami",
                "Sleep as long as CheckAmiCopies planned.",
                next="CheckAmiCopies",
            ),
            task(
                "CheckAmiCopies",
                "CheckAmiCopiesFunctionArn",
                "Every copy pending -> wait; all available -> done; one failed or past the ceiling ->"
                " error naming its region.",
                payload=inputs("plan", "distribute_ami"),
                result=DISTRIBUTE_AMI,
                result_path="$.distribute_ami",
                on_error="Cleanup",
                next="AmiCopiesAvailable?",
            ),
            until_done(
                "AmiCopiesAvailable?",
                "distribute_ami",
                "Is every copy of the AMI available in its region?",
                then="ShareAmi",
                otherwise="WaitForAmiCopies",
            ),
            task(
                "ShareAmi",
                "ShareAmiFunctionArn",
                "ModifyImageAttribute (launch permission) of the AMI and each copy for every account the"
                " request names.",
                payload=inputs("plan", "export", "distribute_ami"),
                result=DISTRIBUTE_AMI,
                result_path="$.distribute_ami",
                on_error="Cleanup",
                next="Cleanup",
            ),
            # --- cleanup, on success and on every failure ---
            task(
                "Cleanup",
                "CleanupFunctionArn",
                "One step of cleanup (stop, then delete the builder; delete the imported image if asked;"
                " undo an unfinished distribution; release the slot). Runs on success and on every"
                " failure, and is safe when nothing was created.",
                payload=inputs("plan", "cleanup"),
                result=CLEANUP,
                result_path="$.cleanup",
                on_error="RecordFailure",
                error_path="$.cleanup_error",
                next="CleanupDone?",
            ),
            choice(
                "CleanupDone?",
                "Loop until cleanup is done, then record how the run ended.",
                [
                    is_false("$.cleanup.done", "WaitForCleanup"),
                    is_present("$.cancellation", "RecordCancelled"),
                    is_set("$.error", "RecordFailure"),
                ],
                default="RecordSuccess",
            ),
            wait(
                "WaitForCleanup",
                "cleanup",
                "A builder is starting, snapshotting, stopping or deleting: look again later.",
                next="Cleanup",
            ),
            record_success("RecordSuccessFunctionArn", {"document.$": "$"}),
            succeed("Succeeded", "Output: run id, pipeline, source image, new image, AMI, cleanup actions."),
            *record_failure("RecordFailureFunctionArn"),
        ],
    )
