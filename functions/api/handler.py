"""The run API's Lambda handler: API Gateway (REST, proxy) requests, and cancellation continuations."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api import cancelling, continuation
from functions.api.app import resolve
from functions.api.settings import get_api_settings
from functions.core.context import get_context
from functions.core.observability import logger, tracer


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    continued = continuation.continued_run(event)
    if continued is not None:
        run_id, wait_seconds = continued
        logger.append_keys(run_id=run_id)
        answer = cancelling.advance(get_api_settings(), get_context(), run_id, wait_seconds)
        return answer.model_dump(mode="json")
    return resolve(event, context)
