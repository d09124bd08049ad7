"""What moto's interpreter would otherwise rebuild for every execution, task and path.

moto 5.2.5's interpreter rebuilds three things that never change, and with many
executions in one engine they cost more than the runs themselves:

* `ExecutionWorker._get_evaluation_entrypoint`: parses the definition with ANTLR for
  every execution (a quarter of a CPU second for the pipeline). The parsed program
  keeps nothing of an execution (that lives in the execution's environment; a Map
  state evaluates one program for many items at once), so executions of one
  definition share it, in this engine and in the next ones of the process (a test
  session or a benchmark starts hundreds of engines on the same few definitions).
* `StepFunctionsParserBackend._validate_definition`: `CreateStateMachine` parses the
  definition once more only to see that it parses, then drops the program. The
  program it parsed is kept for the executions; a definition that fails to parse is
  left to moto, which names the mistake as before.
* `boto_client_for`: a new boto3 client for every Lambda task. The client keeps
  nothing of the call (the credentials argument is ignored), so one per region and
  service serves every task; botocore clients may be shared between threads.
* JSONPath `parse`: every path of every state is parsed again at each evaluation;
  a parsed path is immutable, so each is parsed once.

Each is replaced for the engine's lifetime only, and checked before use.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client, json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from image_factory.local_engine.seams import EngineIncompatible, replaced

_INTERPRETER_PACKAGE = "moto.stepfunctions.parser."
_PARSED_PATHS = 4096  # distinct JSONPath expressions kept parsed (a definition has a few hundred)
_PARSED_DEFINITIONS = 64  # distinct definitions kept parsed (each workflow, in each region it runs in)


def verify() -> None:
    expected = {
        "ExecutionWorker._get_evaluation_entrypoint": getattr(
            ExecutionWorker, "_get_evaluation_entrypoint", None
        ),
        "StepFunctionsParserBackend._validate_definition": getattr(
            StepFunctionsParserBackend, "_validate_definition", None
        ),
        "AmazonStateLanguageParser.parse": getattr(AmazonStateLanguageParser, "parse", None),
        "boto_client.boto_client_for": getattr(boto_client, "boto_client_for", None),
        "json_path.parse": getattr(json_path, "parse", None),
        "result_path.parse": getattr(result_path, "parse", None),
    }
    missing = [name for name, found in expected.items() if not callable(found)]
    if missing:
        raise EngineIncompatible(f"moto's interpreter lacks {', '.join(missing)}: re-check {__name__}")


# definition -> its parsed program, for every engine of the process (oldest dropped first)
_programs: dict[str, Any] = {}
_programs_lock = threading.Lock()


def _program(definition: str, parse: Callable[[], Any]) -> Any:
    with _programs_lock:
        if definition not in _programs:
            if len(_programs) >= _PARSED_DEFINITIONS:
                del _programs[next(iter(_programs))]
            _programs[definition] = parse()
        return _programs[definition]


def _shared_programs(parse_entrypoint: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def evaluation_entrypoint(self: Any) -> Any:
        definition: str = self._evaluation_details.state_machine_details.definition
        return _program(definition, lambda: parse_entrypoint(self))

    return evaluation_entrypoint


def _validation_kept(validate: Callable[[str], None]) -> Callable[[str], None]:
    def validate_definition(definition: str) -> None:
        try:
            _program(definition, lambda: AmazonStateLanguageParser.parse(definition)[0])
        except Exception:
            validate(definition)  # moto's own error (InvalidDefinition) for the mistake
            raise

    return validate_definition


def _shared_clients(create: Callable[..., Any]) -> Callable[..., Any]:
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in clients:
                clients[region, service] = create(region=region, service=service)
            return clients[region, service]

    return client_for


def _modules_importing(function: Callable[..., Any], name: str) -> list[Any]:
    """The interpreter's modules that imported `function` under `name` (each holds its own reference)."""
    return [
        module
        for module_name, module in list(sys.modules.items())
        if module_name.startswith(_INTERPRETER_PACKAGE) and getattr(module, name, None) is function
    ]


@contextmanager
def interpreter_caches() -> Iterator[None]:
    verify()
    client_for = _shared_clients(boto_client.boto_client_for)
    with ExitStack() as stack:
        stack.enter_context(
            replaced(
                ExecutionWorker,
                "_get_evaluation_entrypoint",
                _shared_programs(ExecutionWorker._get_evaluation_entrypoint),
            )
        )
        stack.enter_context(
            replaced(
                StepFunctionsParserBackend,
                "_validate_definition",
                staticmethod(_validation_kept(StepFunctionsParserBackend._validate_definition)),
            )
        )
        for module in _modules_importing(boto_client.boto_client_for, "boto_client_for"):
            stack.enter_context(replaced(module, "boto_client_for", client_for))
        for module in (json_path, result_path):
            stack.enter_context(replaced(module, "parse", functools.lru_cache(_PARSED_PATHS)(module.parse)))
        yield
