"""The run and step records in DynamoDB, and the run state change events.

Every write is conditional, so a task that Step Functions runs twice never moves a
record backwards: a finished step stays finished, a poll count never decreases, the
first error of a run is the one kept, and a finished run is never reopened.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from functions.core import clients, names, timeutil
from functions.core.dynamo import dependency_error, deserialize, is_condition_failure, serialize
from functions.core.errors import RunRecordConflict
from functions.core.run_events import publish_run_change

RunStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
STEP_ORDER = (
    "validate", "preflight", "source", "builder_slot", "builder", "snapshot", "distribute", "export",
    "distribute_ami", "cleanup"
)  # fmt: skip
# A step's checks kept one by one (a waits' ceiling allows far fewer; a check takes about 60 bytes).
CHECKS_KEPT = 500


def history_key(step: str, variant: str | None = None) -> str:
    """The name a step's durations are kept under: the step's own name, and `step:variant` where
    variants of the step take different times (functions.workflows.image_pipeline.durations)."""
    return f"{step}:{variant}" if variant else step


def request_digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class RunRecords:
    def __init__(self, table: str, event_bus: str) -> None:
        self.table = table
        self.event_bus = event_bus

    # --- runs ---
    def start_run(
        self, run_id: str, pipeline: str, execution_arn: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        """Record a new RUNNING run; a replay for the same execution returns the existing record."""
        started = timeutil.iso(timeutil.now())
        item = {
            names.PARTITION_KEY: names.run_pk(run_id),
            names.SORT_KEY: names.RUN_SK,
            "run_id": run_id,
            "pipeline": pipeline,
            "execution_arn": execution_arn,
            "status": "RUNNING",
            "started_at": started,
            "request": request,
            "request_digest": request_digest(request),
            "resources": {},
            "phase_seconds": {},
            **_index_keys(run_id, pipeline, "RUNNING", started),
        }
        if not self._put_new(item):
            existing = self.get_run(run_id)
            if existing is None or existing.get("execution_arn") != execution_arn:
                raise RunRecordConflict(f"run {run_id!r} is already recorded for another execution")
            return existing
        self._publish(item)
        return item

    def record_rejected(
        self, run_id: str, pipeline: str, execution_arn: str, step: str, code: str, message: str
    ) -> dict[str, Any]:
        """A run that failed before it was recorded (a bad request): recorded straight as FAILED."""
        moment = timeutil.iso(timeutil.now())
        item = {
            names.PARTITION_KEY: names.run_pk(run_id),
            names.SORT_KEY: names.RUN_SK,
            "run_id": run_id,
            "pipeline": pipeline,
            "execution_arn": execution_arn,
            "status": "FAILED",
            "started_at": moment,
            "finished_at": moment,
            "error": {"step": step, "code": code, "message": message},
            "resources": {},
            "phase_seconds": {},
            **_index_keys(run_id, pipeline, "FAILED", moment),
        }
        if not self._put_new(item):
            return self.get_run(run_id) or item
        self._publish(item)
        return item

    def finish_run(
        self, run_id: str, status: RunStatus, error: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Close a RUNNING run. The first recorded error wins; a replay of the same outcome is harmless."""
        run = self.get_run(run_id)
        if run is None:
            raise RunRecordConflict(f"run {run_id!r} has no record to finish")
        if run["status"] != "RUNNING":
            return run
        values: dict[str, Any] = {
            ":status": status,
            ":running": "RUNNING",
            ":finished": timeutil.iso(timeutil.now()),
            ":status_pk": status,
            ":pipeline_status": f"{run['pipeline']}#{status}",
        }
        expression = (
            "SET #status = :status, finished_at = :finished, "
            f"{names.RUN_STATUS_PK} = :status_pk, {names.RUN_PIPELINE_STATUS_PK} = :pipeline_status"
        )
        if error is not None:
            values[":error"] = error
            expression += ", #error = if_not_exists(#error, :error)"
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key=serialize(_run_key(run_id)),
                UpdateExpression=expression,
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={"#status": "status", **({"#error": "error"} if error else {})},
                ExpressionAttributeValues=serialize(values),
            )
        except ClientError as failure:
            if not is_condition_failure(failure):
                raise dependency_error(failure, "UpdateItem run") from failure
        finished = self.get_run(run_id) or run
        self._publish(finished)
        return finished

    def record_run_error(self, run_id: str, step: str, code: str, message: str) -> None:
        """Keep the first error of a running run (the cause; later ones are consequences)."""
        self._update_run(
            run_id,
            "SET #error = :error",
            "#status = :running AND attribute_not_exists(#error)",
            {"#error": "error", "#status": "status"},
            {":error": {"step": step, "code": code, "message": message}, ":running": "RUNNING"},
        )

    def record_phase(
        self, run_id: str, step: str, seconds: float, resource: dict[str, Any], variant: str | None = None
    ) -> None:
        """A finished step's duration, kept under its history key (history for the planner), and the
        resources it produced, kept under the step's name."""
        self._update_run(
            run_id,
            "SET phase_seconds.#key = :seconds, resources.#step = :resource",
            "attribute_exists(phase_seconds) AND attribute_exists(resources)",
            {"#key": history_key(step, variant), "#step": step},
            {":seconds": round(seconds, 1), ":resource": resource},
        )

    def record_result(self, run_id: str, key: str, value: Any) -> None:
        """Part of a finished run's result, kept with its resources for people to read."""
        self._update_run(
            run_id,
            "SET resources.#key = :value",
            "attribute_exists(resources)",
            {"#key": key},
            {":value": value},
        )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        return self._get(_run_key(run_id))

    def request_cancel(self, run_id: str, requested_by: str, at: datetime | None = None) -> bool:
        """Mark a RUNNING run as being cancelled (at its stop); True only for the first request."""
        return self._update_run(
            run_id,
            "SET cancel_requested_at = :now, cancel_requested_by = :by",
            "#status = :running AND attribute_not_exists(cancel_requested_at)",
            {"#status": "status"},
            {":now": timeutil.iso(at or timeutil.now()), ":by": requested_by, ":running": "RUNNING"},
        )

    def hold_cancel(self, run_id: str, reason: str) -> None:
        """While set, the run is not stopped: cutting it now would leave something half done."""
        self._update_run(
            run_id,
            f"SET {names.RUN_CANCEL_HELD} = :reason",
            "#status = :running",
            {"#status": "status"},
            {":reason": reason, ":running": "RUNNING"},
        )

    def release_cancel(self, run_id: str) -> None:
        self._update_run(
            run_id, f"REMOVE {names.RUN_CANCEL_HELD}", f"attribute_exists({names.PARTITION_KEY})", {}, {}
        )

    def list_runs(
        self, pipeline: str | None, status: str | None, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of runs, newest first, through the index that matches the filters.

        Returns the runs and the key to continue from (None on the last page).
        """
        index, value = list_index(pipeline, status)
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index.name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": index.partition_key},
            "ExpressionAttributeValues": serialize({":pk": value}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            arguments["ExclusiveStartKey"] = serialize(start_key)
        try:
            response = clients.dynamodb().query(**arguments)
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "Query runs") from error
        last = response.get("LastEvaluatedKey")
        return [deserialize(item) for item in response.get("Items", [])], deserialize(last) if last else None

    def phase_history(self, pipeline: str, phase: str, limit: int) -> list[float]:
        """Durations of `phase` in the newest successful runs of `pipeline`."""
        try:
            response = clients.dynamodb().query(
                TableName=self.table,
                IndexName=names.RUNS_BY_PIPELINE_STATUS.name,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": names.RUN_PIPELINE_STATUS_PK},
                ExpressionAttributeValues=serialize({":pk": f"{pipeline}#SUCCEEDED"}),
                ScanIndexForward=False,
                Limit=limit,
            )
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "Query run history") from error
        durations = []
        for item in response.get("Items", []):
            seconds = deserialize(item).get("phase_seconds", {}).get(phase)
            if isinstance(seconds, int | float) and seconds > 0:
                durations.append(float(seconds))
        return durations

    # --- steps ---
    def step_started(self, run_id: str, step: str, resource: dict[str, Any], *, attempt: bool = True) -> None:
        """One more attempt of a step (`attempt=False`: opened by a check that precedes the attempts);
        a step that already finished is left as it is."""
        moment = timeutil.iso(timeutil.now())
        self._update_step(
            run_id,
            step,
            "SET #status = :running, started_at = if_not_exists(started_at, :now), #step = :step, "
            "step_order = :order, #resource = :resource, updated_at = :now ADD attempts :one",
            "attribute_not_exists(#status) OR #status = :running",
            {"#status": "status", "#step": "step", "#resource": "resource"},
            {
                ":running": "RUNNING",
                ":now": moment,
                ":step": step,
                ":order": _order(step),
                ":resource": resource,
                ":one": 1 if attempt else 0,
            },
        )
        self._update_run(
            run_id,
            "SET current_step = :step",
            "#status = :running",
            {"#status": "status"},
            {":step": step, ":running": "RUNNING"},
        )

    def step_polled(
        self, run_id: str, step: str, polls: int, observed: str | None, wait_seconds: float | None = None
    ) -> None:
        """The count of checks only grows: a replayed check does not count twice.

        `wait_seconds` is the wait before the next check, kept as `next_check_at` so people
        following the run see when the workflow looks again. Each check is also kept in `checks`
        (when, and what it saw) for the run's timeline; past CHECKS_KEPT only the count grows.
        """
        moment = timeutil.now_epoch()
        next_check = _iso_epoch(moment + wait_seconds) if wait_seconds else "-"
        update = "SET polls = :polls, last_state = :observed, updated_at = :now, next_check_at = :next"
        values: dict[str, Any] = {
            ":polls": polls,
            ":observed": observed or "-",
            ":now": _iso_epoch(moment),
            ":next": next_check,
            ":running": "RUNNING",
        }
        if polls <= CHECKS_KEPT:
            update += ", checks = list_append(if_not_exists(checks, :none), :check)"
            values |= {":none": [], ":check": [{"at": values[":now"], "saw": values[":observed"]}]}
        self._update_step(
            run_id,
            step,
            update,
            "#status = :running AND (attribute_not_exists(polls) OR polls < :polls)",
            {"#status": "status"},
            values,
        )

    def step_succeeded(self, run_id: str, step: str, resource: dict[str, Any], seconds: float | None) -> None:
        self._update_step(
            run_id,
            step,
            "SET #status = :done, ended_at = :now, #resource = :resource, duration_seconds = :seconds",
            "#status = :running",
            {"#status": "status", "#resource": "resource"},
            {
                ":done": "SUCCEEDED",
                ":running": "RUNNING",
                ":now": timeutil.iso(timeutil.now()),
                ":resource": resource,
                ":seconds": round(seconds or 0.0, 1),
            },
        )

    def step_failed(self, run_id: str, step: str, code: str, message: str) -> None:
        self._update_step(
            run_id,
            step,
            "SET #status = :failed, ended_at = :now, #error = :error, #step = :step, step_order = :order",
            "attribute_not_exists(#status) OR #status = :running",
            {"#status": "status", "#error": "error", "#step": "step"},
            {
                ":failed": "FAILED",
                ":running": "RUNNING",
                ":now": timeutil.iso(timeutil.now()),
                ":error": {"code": code, "message": message},
                ":step": step,
                ":order": _order(step),
            },
        )

    def step_created(self, run_id: str, step: str, resource: dict[str, Any]) -> None:
        """What the step's create call made (`name`, `arn`), kept the moment it exists.

        Cleanup's proof that the resource is this run's when AppStream cannot describe it
        or read its tags.
        """
        self._update_step(
            run_id,
            step,
            "SET created = :resource",
            "attribute_exists(#status)",
            {"#status": "status"},
            {":resource": resource},
        )

    def step_cancelled(self, run_id: str, step: str) -> None:
        """A step the run was in when it was cancelled: it will not finish."""
        self._update_step(
            run_id,
            step,
            "SET #status = :cancelled, ended_at = :now REMOVE next_check_at",
            "#status = :running",
            {"#status": "status"},
            {":cancelled": "CANCELLED", ":running": "RUNNING", ":now": timeutil.iso(timeutil.now())},
        )

    def first_time(self, run_id: str, step: str, flag: str) -> bool:
        """Set a one-off marker on a step; True only for the call that set it (e.g. send a notice once)."""
        return self._update_step(
            run_id,
            step,
            "SET #flag = :now",
            "attribute_not_exists(#flag)",
            {"#flag": flag},
            {":now": timeutil.iso(timeutil.now())},
        )

    def get_step(self, run_id: str, step: str) -> dict[str, Any] | None:
        return self._get({names.PARTITION_KEY: names.run_pk(run_id), names.SORT_KEY: names.step_sk(step)})

    def get_steps(self, run_id: str) -> list[dict[str, Any]]:
        try:
            response = clients.dynamodb().query(
                TableName=self.table,
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :steps)",
                ExpressionAttributeNames={"#pk": names.PARTITION_KEY, "#sk": names.SORT_KEY},
                ExpressionAttributeValues=serialize(
                    {":pk": names.run_pk(run_id), ":steps": names.STEP_SK_PREFIX}
                ),
            )
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "Query steps") from error
        # Steps outside the pipeline's fixed order (a lifecycle workflow's) come in the order they started.
        return sorted(
            (deserialize(item) for item in response.get("Items", [])),
            key=lambda s: (s.get("step_order", 0), str(s.get("started_at") or "")),
        )

    # --- plumbing ---
    def _put_new(self, item: dict[str, Any]) -> bool:
        try:
            clients.dynamodb().put_item(
                TableName=self.table,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": names.PARTITION_KEY},
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise dependency_error(error, "PutItem run") from error
        except BotoCoreError as error:
            raise dependency_error(error, "PutItem run") from error
        return True

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        try:
            response = clients.dynamodb().get_item(
                TableName=self.table, Key=serialize(key), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "GetItem") from error
        return deserialize(response["Item"]) if "Item" in response else None

    def _update_step(self, run_id: str, step: str, *update: Any) -> bool:
        return self._update(
            {names.PARTITION_KEY: names.run_pk(run_id), names.SORT_KEY: names.step_sk(step)}, *update
        )

    def _update_run(self, run_id: str, *update: Any) -> bool:
        return self._update(_run_key(run_id), *update)

    def _update(
        self,
        key: dict[str, str],
        expression: str,
        condition: str,
        attr_names: dict[str, str],
        values: dict[str, Any],
    ) -> bool:
        """Apply a conditional update; False when the condition says it was already applied."""
        try:
            # DynamoDB refuses empty name and value maps: an expression without any leaves them out.
            optional: dict[str, Any] = {}
            if attr_names:
                optional["ExpressionAttributeNames"] = attr_names
            if values:
                optional["ExpressionAttributeValues"] = serialize(values)
            clients.dynamodb().update_item(
                TableName=self.table,
                Key=serialize(key),
                UpdateExpression=expression,
                ConditionExpression=condition,
                **optional,
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise dependency_error(error, "UpdateItem") from error
        except BotoCoreError as error:
            raise dependency_error(error, "UpdateItem") from error
        return True

    def _publish(self, run: dict[str, Any]) -> None:
        detail = {
            key: run.get(key)
            for key in (
                "run_id",
                "pipeline",
                "status",
                "execution_arn",
                "started_at",
                "finished_at",
                "error",
                "resources",
            )
            if run.get(key) is not None
        }
        publish_run_change(self.event_bus, detail)


def list_index(pipeline: str | None, status: str | None) -> tuple[names.IndexDefinition, str]:
    """The index, and its partition value, that lists runs with these filters newest first."""
    if pipeline and status:
        return names.RUNS_BY_PIPELINE_STATUS, f"{pipeline}#{status}"
    if pipeline:
        return names.RUNS_BY_PIPELINE, pipeline
    if status:
        return names.RUNS_BY_STATUS, status
    return names.RUNS_BY_START, names.RUNS_LIST_VALUE


def _run_key(run_id: str) -> dict[str, str]:
    return {names.PARTITION_KEY: names.run_pk(run_id), names.SORT_KEY: names.RUN_SK}


def _index_keys(run_id: str, pipeline: str, status: str, started: str) -> dict[str, str]:
    return {
        names.RUNS_LIST_PK: names.RUNS_LIST_VALUE,
        names.RUN_PIPELINE_PK: pipeline,
        names.RUN_STATUS_PK: status,
        names.RUN_PIPELINE_STATUS_PK: f"{pipeline}#{status}",
        names.RUN_STARTED_SK: f"{started}#{run_id}",
    }


def _iso_epoch(seconds: float) -> str:
    return timeutil.iso(datetime.fromtimestamp(seconds, tz=UTC))


def _order(step: str) -> int:
    return STEP_ORDER.index(step) if step in STEP_ORDER else len(STEP_ORDER)
