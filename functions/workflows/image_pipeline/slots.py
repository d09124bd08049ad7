"""Builder slots: a DynamoDB counter that keeps concurrent image builders under the account quota,
and the AcquireBuilderSlot wait, so runs beyond the quota queue instead of failing.

A run holds a slot through a holder item of its own; the holder and the counter
change in one transaction, so acquiring twice or releasing twice (Step Functions may
run a task again) never moves the counter twice. A holder carries an expiry, so a slot
whose run vanished without cleaning up (an aborted execution) is reclaimed.

Slots go first come, first served: a run that finds none free joins a queue (a waiter item
with the time it first asked), and a free slot goes to the oldest waiters first. A waiter
that stops asking (its run ended or vanished) drops out of the queue after a few polls.
"""

from __future__ import annotations

import math
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.core import clients, names, timeutil, waits
from functions.core.context import Context
from functions.core.dynamo import dependency_error, deserialize, serialize
from functions.core.errors import PhaseTimedOut, error_code
from functions.core.steps import failures_recorded
from functions.workflows.image_pipeline import durations
from functions.workflows.image_pipeline.phases import SlotPhase
from functions.workflows.image_pipeline.plan import Plan

STEP = "builder_slot"

_COUNTER_KEY = {names.PARTITION_KEY: names.SLOTS_PK, names.SORT_KEY: names.SLOT_COUNTER_SK}


# A waiter missing this many polls in a row has stopped waiting.
_MISSED_POLLS = 3


def _holder_key(run_id: str) -> dict[str, str]:
    return {names.PARTITION_KEY: names.SLOTS_PK, names.SORT_KEY: names.slot_holder_sk(run_id)}


def _waiter_key(run_id: str) -> dict[str, str]:
    return {names.PARTITION_KEY: names.SLOTS_PK, names.SORT_KEY: names.slot_waiter_sk(run_id)}


class BuilderSlots:
    def __init__(self, table: str, limit: int, poll_seconds: float = 120) -> None:
        self.table = table
        self.limit = limit
        self.poll_seconds = poll_seconds  # how often a waiting run asks again

    def acquire(self, run_id: str, execution_arn: str, hold_seconds: float) -> bool:
        """True when this run holds a slot (now or already); False when all slots are taken, or
        the free ones belong to runs that have waited longer."""
        # A replayed try: its queue entry went when it got the slot (release drops one a crash left).
        if self.holds(run_id):
            return True
        ahead = self._queue(run_id)
        # The slots of vanished runs count once reclaimed.
        if ahead >= self._free() and (not self._reclaim_expired() or ahead >= self._free()):
            return False
        if not self._try_acquire(run_id, execution_arn, hold_seconds):
            return False
        self._leave_queue(run_id)
        return True

    def release(self, run_id: str) -> bool:
        """Give the run's slot back; True if it held one. Releasing a slot not held does nothing."""
        self._leave_queue(run_id)  # a run that gives up waiting (failed, cancelled) leaves the queue
        try:
            self._transact(
                [
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": serialize(_holder_key(run_id)),
                            "ConditionExpression": "attribute_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": names.PARTITION_KEY},
                        }
                    },
                    self._counter_update(-1),
                ]
            )
        except _Cancelled:
            return False
        return True

    def holds(self, run_id: str) -> bool:
        try:
            response = clients.dynamodb().get_item(
                TableName=self.table, Key=serialize(_holder_key(run_id)), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "GetItem slot holder") from error
        return "Item" in response

    def _free(self) -> int:
        return self.limit - self.in_use()

    def in_use(self) -> int:
        try:
            response = clients.dynamodb().get_item(
                TableName=self.table, Key=serialize(_COUNTER_KEY), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "GetItem slot counter") from error
        return int(deserialize(response["Item"]).get("in_use", 0)) if "Item" in response else 0

    def _try_acquire(self, run_id: str, execution_arn: str, hold_seconds: float) -> bool:
        now = timeutil.now_epoch()
        holder = {
            **_holder_key(run_id),
            "run_id": run_id,
            "execution_arn": execution_arn,
            "acquired_at": timeutil.iso(timeutil.now()),
            "expires_at": int(now + hold_seconds),
        }
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": serialize(holder),
                            "ConditionExpression": "attribute_not_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": names.PARTITION_KEY},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": serialize(_COUNTER_KEY),
                            "UpdateExpression": "ADD in_use :one",
                            "ConditionExpression": "attribute_not_exists(in_use) OR in_use < :limit",
                            "ExpressionAttributeValues": serialize({":one": 1, ":limit": self.limit}),
                        }
                    },
                ]
            )
        except _Cancelled:
            return False
        return True

    def _queue(self, run_id: str) -> int:
        """Put the run in the queue (or keep its place there); how many still-waiting runs are ahead."""
        now = timeutil.now_epoch()
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key=serialize(_waiter_key(run_id)),
                UpdateExpression=(
                    "SET queued_at = if_not_exists(queued_at, :now), last_seen = :now, run_id = :run"
                ),
                ExpressionAttributeValues=serialize({":now": now, ":run": run_id}),
            )
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "UpdateItem slot waiter") from error
        waiters = self._items(names.SLOT_WAITER_SK_PREFIX)
        mine = next((float(w["queued_at"]), run_id) for w in waiters if w.get("run_id") == run_id)
        fresh_since = now - _MISSED_POLLS * self.poll_seconds
        return sum(
            1
            for waiter in waiters
            if float(waiter.get("last_seen", 0)) >= fresh_since
            and (float(waiter["queued_at"]), str(waiter["run_id"])) < mine
        )

    def _leave_queue(self, run_id: str) -> None:
        try:
            clients.dynamodb().delete_item(TableName=self.table, Key=serialize(_waiter_key(run_id)))
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, "DeleteItem slot waiter") from error

    def _reclaim_expired(self) -> bool:
        """Release holders past their expiry; True if any slot came free."""
        now = timeutil.now_epoch()
        reclaimed = False
        for holder in self._items(names.SLOT_HOLDER_SK_PREFIX):
            if float(holder.get("expires_at", now + 1)) <= now:
                reclaimed |= self.release(str(holder["run_id"]))
        return reclaimed

    def _items(self, prefix: str) -> list[dict[str, Any]]:
        """The holders or the waiters (few: at most the runs under way)."""
        try:
            response = clients.dynamodb().query(
                TableName=self.table,
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames={"#pk": names.PARTITION_KEY, "#sk": names.SORT_KEY},
                ExpressionAttributeValues=serialize({":pk": names.SLOTS_PK, ":prefix": prefix}),
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise dependency_error(error, f"Query slot {prefix.rstrip('#').lower()}s") from error
        return [deserialize(item) for item in response.get("Items", [])]

    def _counter_update(self, delta: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": serialize(_COUNTER_KEY),
                "UpdateExpression": "ADD in_use :delta",
                "ConditionExpression": "in_use >= :one",
                "ExpressionAttributeValues": serialize({":delta": delta, ":one": 1}),
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            clients.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if all(code in (None, "None", "ConditionalCheckFailed") for code in reasons):
                    raise _Cancelled from error
            raise dependency_error(error, "TransactWriteItems slot") from error
        except BotoCoreError as error:
            raise dependency_error(error, "TransactWriteItems slot") from error


class _Cancelled(Exception):
    """A slot transaction lost one of its conditions (full, already held, not held)."""


def builder_slots(context: Context) -> BuilderSlots:
    """The deployment's builder slots (one counter in the runs table, sized by the settings)."""
    settings = context.settings
    return BuilderSlots(settings.runs_table, settings.builder_slot_limit, settings.slot_poll_seconds)


def hold_seconds(plan: Plan, context: Context) -> float:
    """How long a slot may stay held before another run may take it back: every later ceiling together."""
    return sum(
        durations.timing_for(plan, phase, context).ceiling_seconds
        for phase in ("builder", "snapshot", "export", "cleanup")
    )


def acquire(context: Context, plan: Plan, phase: SlotPhase) -> SlotPhase:
    if phase.started_at is None:
        context.records.step_started(plan.run_id, STEP, {"limit": context.settings.builder_slot_limit})
        timing = durations.timing_for(plan, "builder_slot", context)
        phase = phase.model_copy(
            update={"started_at": timeutil.now_epoch(), "ceiling_seconds": timing.ceiling_seconds, "polls": 0}
        )
    with failures_recorded(context, plan, STEP):
        acquired = builder_slots(context).acquire(
            plan.run_id, plan.execution_arn, hold_seconds(plan, context)
        )
        polls = phase.polls + 1
        if acquired:
            context.records.step_polled(plan.run_id, STEP, polls, "ACQUIRED")
            context.records.step_succeeded(plan.run_id, STEP, {"slot": "held"}, waits.elapsed(phase))
            return phase.model_copy(update={"polls": polls, "done": True, "wait_seconds": 0})
        elapsed = waits.elapsed(phase)
        ceiling = phase.ceiling_seconds or durations.DEFAULT_CEILING[STEP]
        if elapsed >= ceiling:
            raise PhaseTimedOut(
                f"{STEP}: no image builder slot free after {elapsed / 60:.0f} min "
                f"({context.settings.builder_slot_limit} in use)"
            )
        wait = max(1, math.ceil(min(context.settings.slot_poll_seconds, ceiling - elapsed)))
        context.records.step_polled(plan.run_id, STEP, polls, "ALL_TAKEN", wait)
        return phase.model_copy(update={"polls": polls, "done": False, "wait_seconds": wait})
