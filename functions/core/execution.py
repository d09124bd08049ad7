"""The execution a run belongs to, and the run id and date every workflow derives from it.

Apart from `functions.workflows.image_pipeline.plan` so the lifecycle workflows, which share
these but never the pipeline plan, do not build the pipeline request's models when they start.
"""

from __future__ import annotations

import hashlib
import re

from functions.core.model import Model

_NOT_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_.-]")
MAX_RUN_ID = 40


def run_id_for(execution_name: str) -> str:
    """A run id usable inside AppStream names and tag values, derived only from the execution name.

    Names that are already safe and short are kept as they are (people recognise them);
    others are cleaned and shortened, with a digest of the original so two executions
    never share an id.
    """
    token = _NOT_NAME_CHARACTER.sub("-", execution_name).lstrip("-_.")
    if token == execution_name and len(token) <= MAX_RUN_ID:
        return token
    digest = hashlib.sha256(execution_name.encode()).hexdigest()[:8]
    return f"{token[: MAX_RUN_ID - 9]}-{digest}".lstrip("-") or digest


def run_date(start_time: str) -> str:
    """YYYYMMDD of an ISO-8601 execution start time."""
    return start_time[:10].replace("-", "")


class Execution(Model):
    """The execution as the state machine's context object describes it."""

    id: str  # execution ARN
    name: str
    start_time: str  # ISO-8601
