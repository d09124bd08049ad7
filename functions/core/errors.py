"""Named errors of the workflow: each class name is the ASL error name the state machine sees.

Retryable errors are matched by the `Retry` blocks of `statemachines/image_pipeline.asl.json`;
terminal ones (`terminal_error_names`) are never retried and end in `Catch` -> cleanup ->
failure record; a failure the workflow did not name (a crashed or timed-out Lambda, an
unexpected exception) is tried again a few times, then caught the same way. Messages become the
Cause of the failed execution, so they say which step failed and AppStream's reason,
and never contain request values that may be sensitive.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError


class ImageFactoryError(Exception):
    """Base of every error a task raises on purpose."""

    retryable = False


# --- retryable: the state machine retries these with backoff and full jitter ---
class AppStreamThrottled(ImageFactoryError):
    retryable = True


class AppStreamBusy(ImageFactoryError):
    """A concurrent change on the same resource; trying again later succeeds."""

    retryable = True


class AppStreamUnavailable(ImageFactoryError):
    retryable = True


class AppStreamQuotaExceeded(ImageFactoryError):
    """An account quota is full (builders created outside the factory, concurrent exports)."""

    retryable = True


class DependencyUnavailable(ImageFactoryError):
    """DynamoDB, S3, SNS or EventBridge throttled or failed transiently."""

    retryable = True


# --- terminal ---
class InvalidPipelineRequest(ImageFactoryError):
    pass


class AppStreamRequestRejected(ImageFactoryError):
    """AppStream refused the request (bad role, incompatible AMI, bad parameter, missing resource)."""


class ResourceNameConflict(ImageFactoryError):
    """A resource with this run's name exists but belongs to something else."""


class SourceImageNotUsable(ImageFactoryError):
    pass


class ImageImportFailed(ImageFactoryError):
    pass


class ImageBuilderFailed(ImageFactoryError):
    pass


class SnapshotFailed(ImageFactoryError):
    pass


class DistributionFailed(ImageFactoryError):
    """A copy of the image in another region FAILED or vanished; the message names the region."""


class ExportFailed(ImageFactoryError):
    pass


class ImageUpdateFailed(ImageFactoryError):
    """A managed update (CreateUpdatedImage) ended with the new image FAILED."""


class FleetUpdateFailed(ImageFactoryError):
    """A fleet did not come back in its state with the new image (FleetErrors say why)."""


class FleetRollbackFailed(ImageFactoryError):
    """Putting a fleet back on its previous image failed too: the fleet needs a person."""


class AmiRequestRejected(ImageFactoryError):
    """EC2 refused a request on an exported AMI or its snapshots."""


class RetentionIncomplete(ImageFactoryError):
    """Retention could not delete some resources it chose (the message names them and why)."""


class PhaseTimedOut(ImageFactoryError):
    """A wait reached its ceiling."""


class CleanupIncomplete(ImageFactoryError):
    """Cleanup reached its ceiling with resources still present (the message names them)."""


class RunRecordConflict(ImageFactoryError):
    """The run id is already recorded for another execution."""


RETRYABLE_ERRORS: tuple[type[ImageFactoryError], ...] = (
    AppStreamThrottled,
    AppStreamBusy,
    AppStreamUnavailable,
    DependencyUnavailable,
)
QUOTA_ERRORS: tuple[type[ImageFactoryError], ...] = (AppStreamQuotaExceeded,)


def terminal_error_names() -> list[str]:
    """The ASL names of every error no retry can fix, sorted.

    The state machine lists them in a retrier that never retries, ahead of its last
    retrier, which tries a task again after a failure nobody named (the Lambda process
    crashed, ran out of memory or time, or raised an unexpected exception): that replay
    adopts what the first attempt created, while these errors still go straight to cleanup.
    """
    return sorted(error.__name__ for error in _subclasses(ImageFactoryError) if not error.retryable)


def _subclasses(base: type[ImageFactoryError]) -> set[type[ImageFactoryError]]:
    found = set(base.__subclasses__())
    for subclass in list(found):
        found |= _subclasses(subclass)
    return found


_THROTTLING = {
    "ThrottlingException",
    "RequestLimitExceededException",
    "TooManyRequestsException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
}
_UNAVAILABLE = {
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "InternalError",
    "ServiceUnavailableException",
}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or error_code(error)


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def classify_appstream(error: Exception, action: str) -> ImageFactoryError:
    """The named error for an AppStream failure of `action` (e.g. "CreateImageBuilder 'x'")."""
    if isinstance(error, ConnectionError | ReadTimeoutError):
        return AppStreamUnavailable(f"{action}: AppStream did not answer ({type(error).__name__})")
    if not isinstance(error, ClientError):
        if isinstance(error, BotoCoreError):
            return AppStreamUnavailable(f"{action}: {type(error).__name__}: {error}")
        raise error
    code, message = error_code(error), error_message(error)
    text = f"{action}: {code}: {message}"
    if code in _THROTTLING:
        return AppStreamThrottled(text)
    if code == "ConcurrentModificationException":
        return AppStreamBusy(text)
    if code in _UNAVAILABLE or _status(error) >= 500:
        return AppStreamUnavailable(text)
    if code == "LimitExceededException":
        return AppStreamQuotaExceeded(text)
    return AppStreamRequestRejected(text)


def classify_dependency(error: Exception, action: str) -> Exception:
    """Transient failures of DynamoDB/S3/SNS/EventBridge become retryable; anything else propagates as is."""
    if isinstance(error, ConnectionError | ReadTimeoutError):
        return DependencyUnavailable(f"{action}: no answer ({type(error).__name__})")
    if isinstance(error, ClientError) and (
        error_code(error) in _THROTTLING | _UNAVAILABLE or _status(error) >= 500
    ):
        return DependencyUnavailable(f"{action}: {error_code(error)}: {error_message(error)}")
    return error
