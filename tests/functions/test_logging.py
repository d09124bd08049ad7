"""Application launch parameters are sensitive: nothing the tasks log may contain them."""

from __future__ import annotations

import logging

import pytest

from functions.core.observability import logger
from functions.workflows.image_pipeline import tasks
from tests.functions.conftest import Account, FakeLambdaContext, request_document

SECRET = "--password=Sup3rS3cret"
EXECUTION = {
    "id": "arn:aws:states:us-east-1:123456789012:execution:image-pipeline:run-1",
    "name": "run-1",
    "start_time": "2026-01-01T00:00:00.000Z",
}
CATALOG = [{"name": "App", "absolute_app_path": "C:\\app.exe", "launch_parameters": SECRET}]


def test_launch_parameters_never_reach_the_logs(
    account: Account, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    raw = request_document(**{"import": {"app_catalog": CATALOG}})

    document = tasks.validate_request({"request": raw, "execution": EXECUTION}, FakeLambdaContext())  # type: ignore[arg-type]
    tasks.preflight({"plan": document["plan"]}, FakeLambdaContext())  # type: ignore[arg-type]  # its dry run
    tasks.import_image({"plan": document["plan"]}, FakeLambdaContext())  # type: ignore[arg-type]
    too_long = request_document(
        **{"import": {"app_catalog": [{**CATALOG[0], "launch_parameters": SECRET * 100}]}}
    )
    with pytest.raises(Exception, match="launch_parameters") as rejected:
        tasks.validate_request({"request": too_long, "execution": EXECUTION}, FakeLambdaContext())  # type: ignore[arg-type]

    output = capfd.readouterr()
    logged = output.out + output.err + caplog.text
    assert logged, "the tasks logged nothing: this test would prove nothing"
    assert SECRET not in logged
    assert SECRET not in str(rejected.value)
    # The import itself did receive the parameters: masking is for logs only.
    assert account.emulator.call_counts["CreateImportedImage"] == 2
