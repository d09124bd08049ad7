"""Starting a run's execution exactly once, named after the run id.

Without an idempotency key every start draws a fresh run id. With one, the run id is
derived from the key, so a retried call names the same execution: Step Functions
keeps execution names unique per state machine (for 90 days after an execution
ends), and the API answers the run that key started instead of starting a twin.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.api import executions
from functions.api.errors import Conflict
from functions.api.settings import ApiSettings
from functions.core.placeholders import RUN_NAME_PREFIX, run_name_prefix

IDEMPOTENCY_KEY = r"^[A-Za-z0-9_.:-]{1,64}$"
_NAME_ATTEMPTS = 3
_NOT_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Launch:
    run_id: str
    execution_arn: str
    date: str  # YYYYMMDD (UTC) the execution started: the {date} of the run's names
    replayed: bool  # an earlier call with the same idempotency key started it


def new_run_id(name: str) -> str:
    """Readable and unique: `<name>-<yyyymmdd>-<hhmmss>-<4 hex>`, at most 39 characters, so the
    run id (which the workflow derives from the execution name) is the name itself."""
    # Wall-clock time, as Step Functions stamps the execution's StartTime, which the workflow dates
    # the run's names by (on the local engine the functions' own clock runs faster).
    moment = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{run_name_prefix(name)}-{moment}-{secrets.token_hex(2)}"


def keyed_run_id(workflow: str, key: str) -> str:
    """The one run id a key gives in a workflow: `<key>-<20 hex>`, at most 39 characters. Named
    after the key alone, not the pipeline or job, so reusing a key for another one finds the run
    the key started (and is refused) instead of starting a second."""
    digest = hashlib.sha256(f"{workflow}\n{key}".encode()).hexdigest()[:20]
    readable = _NOT_NAME_CHARACTER.sub("-", key[:RUN_NAME_PREFIX]).lstrip("-_.")
    return f"{readable}-{digest}" if readable else digest


def launch(
    settings: ApiSettings,
    workflow: str,
    name: str,
    document: dict[str, Any],
    key: str | None,
    check: Callable[[str, str], None],
) -> Launch:
    """Start `document` on the workflow's state machine under a new run id, or answer the run the
    same key started. `check(run_id, date)` refuses a run before it starts (raises an ApiError)."""
    machine = settings.state_machines[workflow]
    for _ in range(_NAME_ATTEMPTS):
        run_id = keyed_run_id(workflow, key) if key else new_run_id(name)
        arn = settings.execution_arn(run_id, workflow)
        if key:
            earlier = _started_earlier(arn, document)
            if earlier is not None:
                return earlier
        date = datetime.now(UTC).strftime("%Y%m%d")
        check(run_id, date)
        try:
            started = executions.start(machine, run_id, document)
        except executions.ExecutionNameTaken:
            # Keyed: a concurrent retry started it a moment ago. Unkeyed: two starts in the same
            # second drew the same suffix; draw again.
            earlier = _started_earlier(arn, document) if key else None
            if earlier is not None:
                return earlier
            continue
        return Launch(run_id=run_id, execution_arn=started, date=date, replayed=False)
    raise Conflict("could not find a free execution name; try again")


def _started_earlier(execution_arn: str, document: dict[str, Any]) -> Launch | None:
    """The execution an earlier call with this key started, or None; 409 if it had another request."""
    execution = executions.describe(execution_arn)
    if execution is None:
        return None
    try:
        same = json.loads(execution.get("input") or "null") == document
    except ValueError:
        same = False
    if not same:
        raise Conflict(
            f"the idempotency key was already used for a different request (run {execution['name']})"
        )
    started = execution.get("startDate")
    moment = started.astimezone(UTC) if isinstance(started, datetime) else datetime.now(UTC)
    return Launch(
        run_id=str(execution["name"]),
        execution_arn=execution_arn,
        date=moment.strftime("%Y%m%d"),
        replayed=True,
    )
