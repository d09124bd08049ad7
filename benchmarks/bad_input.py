"""Bad input: malformed pipeline requests, scenario files and lifecycle requests, fed to every entry point.

    .venv/bin/python -m benchmarks.bad_input [--examples 1000] [--write]

Hypothesis mutates the bundled example requests and scenarios (required fields dropped,
wrong types, out-of-range numbers, bad patterns, unknown keys, huge strings, nulls,
nested garbage, non-object top levels), derandomized so every run draws the same cases.
Only documents the validator rejects are kept. Each goes to validation in-process, to
`image-factory validate` and `image-factory run --local` in-process (from a file), and,
for requests, to POST /runs of the local run API; lifecycle requests go to their
workflow's model, `image-factory validate --workflow` and POST /workflows/{workflow}/runs.
A case fails on a traceback, a 5xx, an exit code other than 2, or a rejection that names
no field of the document or schema.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import sys
import tempfile
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from appstream_emulator.scenario import Scenario, ScenarioError, scenario_json_schema
from benchmarks.fast import FAST_SETTINGS, fast_scenario
from benchmarks.report import command_line, provenance, table, write_section
from functions.request import FieldError, parse_request, request_json_schema
from functions.workflows import WORKFLOWS, get_workflow
from image_factory.cli import main as cli_main
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.inputs import example_names, examples, load_request_document
from image_factory.remote.local_server import LocalApiServer

# Names a whole document stands for (a non-object input, or a rule over the whole document).
TOP_LEVEL = {"(request)", "(top level)", "(body)"}
HUGE = "x" * 100_000
BAD_TEXT = [
    "",
    " ",
    "\x00",
    "ami-XYZ",
    "arn:aws:iam::bad",
    "s3://",
    "../../etc/passwd",
    "{pipeline}" * 50,
    "{unknown}",
    "aws:reserved",
    "stream.bogus",
    "é" * 300,
    "a" * 1025,
    HUGE,
]
BAD_NUMBERS: list[Any] = [0, -1, 199, 501, 10**9, -(10**9), 10**30, 0.5, 200.5, 1e308, -1e-9]
# Numbers a person gets wrong most often, at their own paths.
REQUEST_NUMBERS = [
    ("builder", "root_volume_gb"),
    ("snapshot", "timeout_minutes"),
    ("waits", "snapshot", "ceiling_minutes"),
    ("waits", "import", "expected_minutes"),
]
SCENARIO_NUMBERS = [("jitter",), ("quotas", "image_builders"), ("durations", "import"), ("seed",)]
LIFECYCLE_NUMBERS: dict[str, list[tuple[str, ...]]] = {
    "export-backup": [("max_concurrency",), ("waits", "export", "expected_minutes")],
    "managed-update": [("waits", "update", "expected_minutes")],
    "fleet-rollout": [("fleets",)],
    "retention": [("keep_images",), ("keep_amis",), ("builder_max_age_hours",)],
}


# --- documents ----------------------------------------------------------------------------------


def request_bases() -> list[dict[str, Any]]:
    """The bundled pipeline requests (the other examples are lifecycle workflows' requests)."""
    documents = [load_request_document(name)[1] for name in example_names("requests")]
    return [document for document in documents if isinstance(document, dict) and "pipeline" in document]


def lifecycle_bases(workflow: str) -> list[dict[str, Any]]:
    """The bundled requests of a lifecycle workflow: the examples it accepts."""
    documents = [load_request_document(name)[1] for name in example_names("requests")]
    parse = get_workflow(workflow).parse
    return [
        document
        for document in documents
        if isinstance(document, dict) and not isinstance(parse(document), list)
    ]


def scenario_bases() -> list[dict[str, Any]]:
    documents = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in examples("scenarios").iterdir()]
    return [document for document in documents if isinstance(document, dict)]


def _leaf_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        st.sampled_from(BAD_TEXT),
        st.sampled_from(BAD_NUMBERS),
    )


def garbage() -> st.SearchStrategy[Any]:
    """Any JSON value: scalars of every type, bad strings and numbers, nested lists and objects."""
    return st.recursive(
        _leaf_values(),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
        ),
        max_leaves=8,
    )


def _locations(document: Any) -> Iterator[tuple[Any, Any]]:
    """(container, key or index) of every value inside the document."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield document, key
            yield from _locations(value)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield document, index
            yield from _locations(value)


def _containers(document: Any) -> list[Any]:
    found = [document] if isinstance(document, (dict, list)) else []
    return found + [
        container[key] for container, key in _locations(document) if isinstance(container[key], dict)
    ]


def _set_path(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = document
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


@st.composite
def malformed(draw: st.DrawFn, bases: list[dict[str, Any]], numbers: list[tuple[str, ...]]) -> Any:
    """A base document with one to three mutations, or (sometimes) a value that is not an object."""
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(st.one_of(_leaf_values(), st.lists(garbage(), max_size=3)))
    document = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        locations = list(_locations(document))
        operation = draw(st.sampled_from(["drop", "replace", "unknown", "number", "known number"]))
        if operation == "known number":
            _set_path(document, draw(st.sampled_from(numbers)), draw(st.sampled_from(BAD_NUMBERS)))
        elif operation == "unknown":
            container = draw(st.sampled_from(_containers(document)))
            key = draw(
                st.sampled_from(["unknown", "Pipeline", "builder_", "root-volume-gb"]) | st.text(max_size=8)
            )
            if isinstance(container, dict):
                container[key] = draw(garbage())
            else:
                container.append(draw(garbage()))
        elif not locations:
            return draw(garbage())
        else:
            container, key = draw(st.sampled_from(locations))
            if operation == "drop":
                del container[key]
            elif operation == "number":
                container[key] = draw(st.sampled_from(BAD_NUMBERS))
            else:
                container[key] = draw(garbage())
    return document


# --- validation in-process ----------------------------------------------------------------------


def _schema_names(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}) if isinstance(node.get("properties"), dict) else ())
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return names


def names_a_field(path: str, document: Any, schema_names: set[str]) -> bool:
    """The dotted path names the top level, or leads through the document (or the schema's fields)."""
    if path in TOP_LEVEL:
        return True
    parts = path.split(".")
    node = document
    while parts:
        if isinstance(node, dict):
            # A key may hold dots itself (a tag key): take the longest run of parts that is a key.
            length = next((n for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in node), 0)
            if length:
                node, parts = node[".".join(parts[:length])], parts[length:]
                continue
        if isinstance(node, list) and parts[0].isdigit() and int(parts[0]) < len(node):
            node, parts = node[int(parts[0])], parts[1:]
            continue
        if parts[0] == "[key]":  # the key itself is bad, not its value
            parts = parts[1:]
            continue
        if parts[0] in schema_names:  # a field the document lacks
            node, parts = None, parts[1:]
            continue
        return False
    return True


def request_rejection(document: Any) -> list[str] | None:
    """Fields parse_request names, or None when it accepts; a traceback propagates."""
    result = parse_request(document)
    if isinstance(result, list):
        assert all(isinstance(problem, FieldError) for problem in result)
        return [problem.field for problem in result]
    return None


def lifecycle_rejection(workflow: str) -> Callable[[Any], list[str] | None]:
    """Fields the workflow's request model names, or None when it accepts."""

    def fields(document: Any) -> list[str] | None:
        result = get_workflow(workflow).parse(document)
        if isinstance(result, list):
            assert all(isinstance(problem, FieldError) for problem in result)
            return [problem.field for problem in result]
        return None

    return fields


def scenario_rejection(document: Any) -> list[str] | None:
    try:
        Scenario.from_data(document, "scenario.json")
    except ScenarioError as error:
        return scenario_fields(str(error))
    return None


def scenario_fields(message: str) -> list[str]:
    """The fields a ScenarioError message names: `<source>: invalid scenario: <field>: <problem>; ...`."""
    _, _, problems = message.partition(": invalid scenario: ")
    return [problem.split(": ", 1)[0] for problem in problems.split("; ") if ": " in problem]


def _rejected(check: Callable[[Any], list[str] | None], document: Any) -> bool:
    try:
        return check(document) is not None
    except Exception:
        return True  # kept: the traceback is reported as a failure


def generate(
    bases: list[dict[str, Any]],
    numbers: list[tuple[str, ...]],
    check: Callable[[Any], list[str] | None],
    count: int,
) -> list[Any]:
    """`count` malformed documents the validator rejects, drawn reproducibly."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(malformed(bases, numbers))
    def collect(document: Any) -> None:
        assume(_rejected(check, document))
        found.append(document)

    collect()
    return found


# --- the targets --------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    cases: int = 0
    rejected: int = 0
    accepted: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, document: Any, why: str) -> None:
        self.failures.append(f"{why} for {json.dumps(document, default=str)[:300]}")


def check_in_process(
    target: Target, documents: list[Any], check: Callable[[Any], list[str] | None], schema_names: set[str]
) -> None:
    for document in documents:
        target.cases += 1
        try:
            fields = check(document)
        except Exception:
            target.fail(document, "traceback: " + traceback.format_exc().strip().splitlines()[-1])
            continue
        if fields is None:
            target.accepted += 1
        elif not any(names_a_field(name, document, schema_names) for name in fields):
            target.fail(document, f"no field named: {fields}")
        else:
            target.rejected += 1


def run_cli(argv: list[str]) -> tuple[int | None, str]:
    """Exit code (None: an exception escaped) and the error `image-factory` reports, run in-process.

    Under --json the error is a JSON document on stdout; otherwise it is on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code: int | None = cli_main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
        except Exception:
            traceback.print_exc()
            code = None
    return code, err.getvalue() + _json_error(out.getvalue())


def _json_error(stdout: str) -> str:
    """The message and field names of a JSON error document, or '' when stdout holds none."""
    try:
        document = json.loads(stdout)
    except ValueError:
        return ""
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        return ""
    problems = [problem for problem in error.get("fields", []) if isinstance(problem, dict)]
    fields = [str(problem.get("field", "")) for problem in problems]
    return " ".join([str(error.get("message", "")), *fields])


def check_cli(
    target: Target,
    documents: list[Any],
    fields_of: Callable[[Any], list[str] | None],
    argv_for: Callable[[Path], list[str]],
    directory: Path,
    schema_names: set[str],
) -> None:
    """Each document written to a file, then the command run on it: exit 2, no traceback, a field named."""
    path = directory / "input.json"
    for document in documents:
        target.cases += 1
        path.write_text(json.dumps(document), encoding="utf-8")
        code, reported = run_cli(argv_for(path))
        try:
            expected = fields_of(document) or []
        except Exception:
            expected = []
        if "Traceback" in reported or code is None:
            last_line = reported.strip().splitlines()[-1] if reported.strip() else ""
            target.fail(document, "traceback: " + last_line)
        elif code != 2:
            target.fail(document, f"exit code {code}")
        elif not any(
            _collapsed(name) in _collapsed(reported) and names_a_field(name, document, schema_names)
            for name in expected
        ):
            target.fail(document, f"no field named in the error: {reported.strip()[:200]}")
        else:
            target.rejected += 1


def _collapsed(text: str) -> str:
    """Whitespace runs as one space, as the one-line error of `run --local` prints them."""
    return " ".join(text.split())


def post(base_url: str, path: str, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        base_url + path, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, payload.decode("utf-8", "replace")


def check_api(
    target: Target, documents: list[Any], base_url: str, schema_names: set[str], path: str = "/runs"
) -> None:
    """POST `path` with each document: below 500; a 400 lists fields that name the document's fields."""
    for document in documents:
        target.cases += 1
        status, answer = post(base_url, path, json.dumps(document).encode())
        if status >= 500:
            target.fail(document, f"HTTP {status}: {str(answer)[:200]}")
        elif status == 400:
            problems = answer.get("error", {}).get("fields", []) if isinstance(answer, dict) else []
            names = [problem.get("field", "") for problem in problems]
            if not any(names_a_field(name, document, schema_names) for name in names):
                target.fail(document, f"400 naming no field: {str(answer)[:200]}")
            else:
                target.rejected += 1
        elif status < 300:
            target.accepted += 1  # valid with this run's own (shorter) names: the run started
        else:
            target.rejected += 1  # e.g. 404: {"pipeline": NAME} names no configured pipeline


# --- the benchmark ------------------------------------------------------------------------------


def run_all(examples: int) -> list[Target]:
    request_names = _schema_names(request_json_schema())
    scenario_names = _schema_names(scenario_json_schema())
    requests = generate(request_bases(), REQUEST_NUMBERS, request_rejection, examples)
    scenarios = generate(scenario_bases(), SCENARIO_NUMBERS, scenario_rejection, examples)
    targets = {
        name: Target(name)
        for name in (
            "parse_request",
            "Scenario.from_data",
            "image-factory validate",
            "image-factory run --local (bad request)",
            "image-factory run --local (bad scenario)",
            "POST /runs (local API)",
        )
    }
    check_in_process(targets["parse_request"], requests, request_rejection, request_names)
    check_in_process(targets["Scenario.from_data"], scenarios, scenario_rejection, scenario_names)
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        good_request = directory / "request.json"
        good_request.write_text(json.dumps(load_request_document("reference")[1]), encoding="utf-8")
        check_cli(
            targets["image-factory validate"],
            requests,
            request_rejection,
            lambda path: ["validate", str(path)],
            directory,
            request_names,
        )
        check_cli(
            targets["image-factory run --local (bad request)"],
            requests,
            request_rejection,
            lambda path: ["run", "--local", str(path), "--json"],
            directory,
            request_names,
        )
        check_cli(
            targets["image-factory run --local (bad scenario)"],
            scenarios,
            scenario_rejection,
            lambda path: ["run", "--local", str(good_request), "--scenario", str(path), "--json"],
            directory,
            scenario_names,
        )
    with LocalApiServer(LocalEngine(fast_scenario(), settings=FAST_SETTINGS), port=0) as server:
        check_api(targets["POST /runs (local API)"], requests, server.url, request_names)
    return list(targets.values()) + lifecycle_targets(examples)


def validate_argv(workflow: str) -> Callable[[Path], list[str]]:
    return lambda path: ["validate", "--workflow", workflow, str(path)]


def lifecycle_targets(examples: int) -> list[Target]:
    """The lifecycle workflows' requests, `examples` in all, shared out between the workflows."""
    model, cli, api = (
        Target("lifecycle request models"),
        Target("image-factory validate --workflow"),
        Target("POST /workflows/{workflow}/runs (local API)"),
    )
    lifecycle = [name for name in WORKFLOWS if name in LIFECYCLE_NUMBERS]
    with (
        tempfile.TemporaryDirectory() as temporary,
        LocalApiServer(LocalEngine(fast_scenario(), settings=FAST_SETTINGS), port=0) as server,
    ):
        for workflow in lifecycle:
            rejection = lifecycle_rejection(workflow)
            names = _schema_names(get_workflow(workflow).json_schema())
            share = examples // len(lifecycle)
            documents = generate(lifecycle_bases(workflow), LIFECYCLE_NUMBERS[workflow], rejection, share)
            check_in_process(model, documents, rejection, names)
            check_cli(cli, documents, rejection, validate_argv(workflow), Path(temporary), names)
            check_api(api, documents, server.url, names, path=f"/workflows/{workflow}/runs")
    return [model, cli, api]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=int, default=1000, help="malformed documents per kind (default 1000)"
    )
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    targets = run_all(args.examples)
    rows = [
        [target.name, target.cases, target.rejected, target.accepted, len(target.failures)]
        for target in targets
    ]
    body = "\n\n".join(
        [
            provenance(command_line("bad_input")),
            f"{args.examples} malformed pipeline requests, {args.examples} malformed scenarios and "
            f"{args.examples} malformed lifecycle requests (shared out between the four workflows), drawn by "
            "Hypothesis (derandomized) from the bundled examples: required fields dropped, wrong types, "
            "out-of-range numbers (root_volume_gb 0/199/501/10^9 among them), bad patterns, unknown keys, "
            "100,000-character strings, nulls, nested garbage and non-object documents. Only documents "
            "`parse_request` / `Scenario.from_data` reject are kept. A failure is a traceback, a 5xx, an "
            'exit code other than 2, or a rejection naming no field of the document or schema. "Accepted" by '
            "the API: valid once named with the run's own (shorter) run id, so the run started.",
            table(["target", "cases", "rejected naming a field", "accepted", "failures"], rows),
        ]
    )
    print(body)
    for target in targets:
        for failure in target.failures[:5]:
            print(f"  {target.name}: {failure}", file=sys.stderr)
    if args.write:
        write_section("Bad input", body)
    return 0 if not any(target.failures for target in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
