"""The run API on 127.0.0.1 over the local engine: the same handler API Gateway would invoke.

    with LocalApiServer(port=0) as server:      # server.url -> "http://127.0.0.1:54321"
        ...

Runs started through it execute on the local engine in the background (moto's Step
Functions interpreter, handlers in-process, AppStream from the emulator, compressed
time), for the image pipeline and every lifecycle workflow alike. Leaving stops what
still runs. Requests are handled one at a time, as one Lambda
container would: the resolver keeps the current event on itself.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import boto3

from appstream_emulator import image_assistant
from functions.core import names
from functions.workflows import API_FUNCTION
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.environment import environment_variables
from image_factory.local_engine.inputs import example_names, load_request_document
from image_factory.local_engine.lambdas import LambdaContext
from image_factory.local_engine.output import captured_output
from image_factory.local_engine.resources import STATE_MACHINE
from image_factory.remote.gateway_events import missing_route, proxy_answer, proxy_event, routes
from image_factory.remote.local_workflows import deploy_lifecycle_workflows

LOCAL_FUNCTION = "image-factory-local-RunApi"


def bundled_pipelines() -> list[dict[str, Any]]:
    """Each bundled example request as a configured pipeline named after its `pipeline`."""
    configured = []
    for name in example_names("requests"):
        _, request = load_request_document(name)
        if "pipeline" in request:  # the other examples are lifecycle workflows' requests
            configured.append({"name": request["pipeline"], "request": request})
    return configured


class LocalApiServer:
    def __init__(
        self,
        engine: LocalEngine | None = None,
        *,
        port: int = 0,
        configured_pipelines: list[dict[str, Any]] | None = None,
    ) -> None:
        self.engine = engine or LocalEngine()
        self._port = port
        self._pipelines = bundled_pipelines() if configured_pipelines is None else configured_pipelines
        self._stack: ExitStack | None = None
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()
        # What the API's handler prints (logs, metrics): its CloudWatch Logs, kept off the console.
        self.function_log: list[str] = []
        self._state_machine_arns: list[str] = []
        self.served: list[tuple[str, re.Pattern[str]]] = []  # API Gateway's resources and methods

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running: use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LocalApiServer:
        stack = ExitStack()
        try:
            stack.enter_context(self.engine)
            # Imported once the engine has set the environment: the functions' Powertools objects
            # read their settings (metrics namespace, service name) when first imported.
            from functions.api import executions, pipelines
            from functions.api.app import openapi_document
            from functions.api.settings import get_api_settings

            self.served = routes(openapi_document())

            stack.callback(self._stop_runs)
            stack.enter_context(environment_variables(self._environment()))
            for forget in (get_api_settings.cache_clear, pipelines.forget, executions.reset):
                forget()
                stack.callback(forget)
            self._server = _Server(("127.0.0.1", self._port), self)
            thread = threading.Thread(target=self._server.serve_forever, name="local-run-api", daemon=True)
            thread.start()
            stack.callback(self._server.server_close)
            stack.callback(self._server.shutdown)
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Run the API's handler on one event, as Lambda would (one at a time)."""
        from functions.api.handler import handler

        context = LambdaContext(
            function_name=LOCAL_FUNCTION,
            invoked_function_arn=f"arn:aws:lambda:{self.engine.region}:123456789012:function:{LOCAL_FUNCTION}",
            memory_limit_in_mb=512,
            timeout_seconds=API_FUNCTION.timeout_seconds,
        )
        with self._lock, captured_output() as printed:
            result: dict[str, Any] = handler(json.loads(json.dumps(event)), context)
        self.function_log.extend(printed)
        return result

    def _environment(self) -> dict[str, str]:
        sfn = boto3.client("stepfunctions", region_name=self.engine.region)
        machines = sfn.list_state_machines()["stateMachines"]
        pipeline = next(
            machine["stateMachineArn"] for machine in machines if machine["name"] == STATE_MACHINE
        )
        lifecycle = deploy_lifecycle_workflows(self.engine.region)
        self._state_machine_arns = [pipeline, *lifecycle.values()]
        self.engine.deploy_cancel_rules()  # as the stack deploys one for each of its state machines
        return {
            names.ENV_PIPELINE_STATE_MACHINE: pipeline,
            **{names.env_workflow_state_machine(workflow): arn for workflow, arn in lifecycle.items()},
            names.ENV_PIPELINES_CONFIG: json.dumps({"pipelines": self._pipelines}),
        }

    def _stop_runs(self) -> None:
        """Executions the API started are not the engine's own: stop them before the engine closes."""
        self.engine.status_events.sending = False  # closing is no cancel: nothing to clean up after
        sfn = boto3.client("stepfunctions", region_name=self.engine.region)
        for machine in self._state_machine_arns:
            running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
            for execution in running:
                sfn.stop_execution(executionArn=execution["executionArn"], cause="local API server closed")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: LocalApiServer) -> None:
        super().__init__(address, _Handler)
        self.api = api


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._proxy()

    def do_POST(self) -> None:
        self._proxy()

    def do_PUT(self) -> None:
        self._proxy()

    def do_DELETE(self) -> None:
        self._proxy()

    def do_PATCH(self) -> None:
        self._proxy()

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        result: dict[str, Any] | None
        if self.command == "POST" and self.path == image_assistant.ROUTE:
            # The administrator's step of a manual snapshot, on the emulator this server runs.
            status, answer = image_assistant.create_image(self.server.api.engine.emulator, body)
            result = {
                "statusCode": status,
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps(answer),
            }
        else:
            # API Gateway answers a route it does not serve itself; the handler never sees it.
            result = missing_route(self.command, self.path, self.server.api.served)
            if result is None:
                event = proxy_event(self.command, self.path, dict(self.headers.items()), body)
                result = self.server.api.invoke(event)
        status, headers, payload = proxy_answer(result)
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the CLI prints its own one line per request
