"""Bad input: malformed and near-valid pipeline requests, scenario files and lifecycle requests,
fed to every entry point and judged by an independent oracle.

    .venv/bin/python -m benchmarks.bad_input [--examples 1000] [--write]

Hypothesis mutates the bundled example requests and scenarios, derandomized so every run
draws the same cases; `benchmarks.near_valid` sets each field at and just past each limit
of the published schema. `benchmarks.oracle` judges each document without the product's
models (JSON Schema, botocore's AppStream model, named cross-field rules). A case fails on
a traceback, a 5xx, an exit code other than 0 or 2, an acceptance of an invalid document,
a rejection of a valid one, or a rejection naming no field at fault.
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
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from appstream_emulator.scenario import Scenario, ScenarioError
from benchmarks.fast import FAST_SETTINGS, fast_scenario
from benchmarks.near_valid import near_valid
from benchmarks.oracle import SCENARIO, invalid_fields, names_the_fault, schema_of
from benchmarks.report import command_line, provenance, table, write_section
from functions.workflows import WORKFLOWS, get_workflow
from functions.workflows.image_pipeline.request import FieldError, parse_request
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


def generate(
    bases: list[dict[str, Any]],
    numbers: list[tuple[str, ...]],
    count: int,
) -> list[Any]:
    """`count` malformed documents, drawn reproducibly (valid or not: the oracle judges)."""
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
        found.append(document)

    collect()
    return found


# --- the targets --------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    kind: str = ""  # the oracle's name for the documents: a workflow, or "scenario"
    cases: int = 0
    near_valid: int = 0
    rejected: int = 0
    accepted: int = 0
    accepted_invalid: int = 0
    rejected_valid: int = 0
    not_at_fault: int = 0
    configured: int = 0  # POST /runs with {"pipeline": NAME}: a configured pipeline's run, not judged
    failures: list[str] = field(default_factory=list)

    def fail(self, document: Any, why: str) -> None:
        self.failures.append(f"{why} for {json.dumps(document, default=str)[:300]}")

    def judge(self, document: Any, kind: str, reported: list[str] | None) -> None:
        """Compare the target's verdict (None: accepted; else the fields it named) with the oracle's."""
        invalid = invalid_fields(kind, document)
        if reported is None:
            self.accepted += 1
            if invalid:
                self.accepted_invalid += 1
                self.fail(document, f"accepted, but invalid at {sorted(invalid)}")
            return
        self.rejected += 1
        if not invalid:
            self.rejected_valid += 1
            self.fail(document, f"rejected, but valid (named {reported[:3]})")
        elif not any(names_the_fault(name, invalid) for name in reported):
            self.not_at_fault += 1
            self.fail(document, f"named {reported[:3]}, not the field at fault {sorted(invalid)[:3]}")


def check_in_process(
    target: Target, documents: list[Any], check: Callable[[Any], list[str] | None], kind: str
) -> None:
    for document in documents:
        target.cases += 1
        try:
            fields = check(document)
        except Exception:
            target.fail(document, "traceback: " + traceback.format_exc().strip().splitlines()[-1])
            continue
        target.judge(document, kind, fields)


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
    kind: str,
    starts_a_run: bool = False,
) -> None:
    """Each document written to a file, then the command run on it: exit 0 (accepted) or 2 (rejected,
    naming fields in its error), never a traceback. A command that would start a run on a valid
    document (`run --local`) is given only the documents the oracle finds invalid."""
    path = directory / "input.json"
    for document in documents:
        if starts_a_run and not invalid_fields(kind, document):
            continue
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
        elif code == 0:
            target.judge(document, kind, None)
        elif code != 2:
            target.fail(document, f"exit code {code}")
        else:
            named = [name for name in expected if _collapsed(name) in _collapsed(reported)]
            target.judge(document, kind, named or [reported.strip()[:200]])


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


def check_api(target: Target, documents: list[Any], base_url: str, kind: str, path: str = "/runs") -> None:
    """POST `path` with each document: below 500; a 400 lists the fields; a 2xx (the run started)
    or a 409 (a running run already makes that image) passed validation."""
    for document in documents:
        target.cases += 1
        status, answer = post(base_url, path, json.dumps(document).encode())
        if path == "/runs" and isinstance(document, dict) and set(document) == {"pipeline"}:
            # {"pipeline": NAME} runs a configured pipeline: another request, outside the oracle.
            target.configured += 1
            if status >= 500:
                target.fail(document, f"HTTP {status}: {str(answer)[:200]}")
            continue
        if status >= 500:
            target.fail(document, f"HTTP {status}: {str(answer)[:200]}")
        elif status == 400:
            problems = answer.get("error", {}).get("fields", []) if isinstance(answer, dict) else []
            target.judge(document, kind, [str(problem.get("field", "")) for problem in problems])
        elif status < 300 or status == 409:
            target.judge(document, kind, None)
        elif status == 404:  # {"pipeline": NAME}: a run of a configured pipeline, and none is named so
            target.rejected += 1
        else:
            target.fail(document, f"HTTP {status}: {str(answer)[:200]}")


# --- the benchmark ------------------------------------------------------------------------------


def sample(documents: list[Any], limit: int | None) -> list[Any]:
    """At most `limit` documents, spread evenly over the list (all of them without a limit)."""
    if limit is None or len(documents) <= limit:
        return documents
    step = len(documents) / limit
    return [documents[int(index * step)] for index in range(limit)]


def near_valid_documents(kind: str, bases: list[dict[str, Any]], limit: int | None) -> list[Any]:
    return sample([document for _, document in near_valid(kind, schema_of(kind), bases)], limit)


def _target(name: str, kind: str) -> Target:
    return Target(name, kind)


def run_all(examples: int, near_limit: int | None = None) -> list[Target]:
    """`examples` malformed documents per kind, plus the near-valid ones (at most `near_limit`)."""
    pipeline, scenario = "image-pipeline", SCENARIO
    near_requests = near_valid_documents(pipeline, request_bases(), near_limit)
    near_scenarios = near_valid_documents(scenario, scenario_bases(), near_limit)
    requests = generate(request_bases(), REQUEST_NUMBERS, examples) + near_requests
    scenarios = generate(scenario_bases(), SCENARIO_NUMBERS, examples) + near_scenarios
    targets = {
        name: _target(name, kind)
        for name, kind in (
            ("parse_request", pipeline),
            ("Scenario.from_data", scenario),
            ("image-factory validate", pipeline),
            ("image-factory run --local (bad request)", pipeline),
            ("image-factory run --local (bad scenario)", scenario),
            ("POST /runs (local API)", pipeline),
        )
    }
    check_in_process(targets["parse_request"], requests, request_rejection, pipeline)
    check_in_process(targets["Scenario.from_data"], scenarios, scenario_rejection, scenario)
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
            pipeline,
        )
        check_cli(
            targets["image-factory run --local (bad request)"],
            requests,
            request_rejection,
            lambda path: ["run", "--local", str(path), "--json"],
            directory,
            pipeline,
            starts_a_run=True,
        )
        check_cli(
            targets["image-factory run --local (bad scenario)"],
            scenarios,
            scenario_rejection,
            lambda path: ["run", "--local", str(good_request), "--scenario", str(path), "--json"],
            directory,
            scenario,
            starts_a_run=True,
        )
    with LocalApiServer(LocalEngine(fast_scenario(), settings=FAST_SETTINGS), port=0) as server:
        check_api(targets["POST /runs (local API)"], requests, server.url, pipeline)
    for target, near in ((pipeline, near_requests), (scenario, near_scenarios)):
        for each in targets.values():
            if each.kind == target:
                each.near_valid = len(near)
    return list(targets.values()) + lifecycle_targets(examples, near_limit)


def validate_argv(workflow: str) -> Callable[[Path], list[str]]:
    return lambda path: ["validate", "--workflow", workflow, str(path)]


def lifecycle_targets(examples: int, near_limit: int | None = None) -> list[Target]:
    """The lifecycle workflows' requests, `examples` malformed in all (shared out between the
    workflows), plus each workflow's near-valid ones (`near_limit` in all)."""
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
            share = examples // len(lifecycle)
            bases = lifecycle_bases(workflow)
            near = near_valid_documents(
                workflow, bases, None if near_limit is None else near_limit // len(lifecycle)
            )
            documents = generate(bases, LIFECYCLE_NUMBERS[workflow], share) + near
            check_in_process(model, documents, rejection, workflow)
            check_cli(cli, documents, rejection, validate_argv(workflow), Path(temporary), workflow)
            check_api(api, documents, server.url, workflow, path=f"/workflows/{workflow}/runs")
            for target in (model, cli, api):
                target.near_valid += len(near)
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
        [
            target.name,
            target.cases,
            target.near_valid,
            target.rejected,
            target.accepted,
            target.accepted_invalid,
            target.rejected_valid,
            target.not_at_fault,
            len(target.failures),
        ]
        for target in targets
    ]
    body = "\n\n".join(
        [
            provenance(command_line("bad_input")),
            f"{args.examples} malformed pipeline requests, {args.examples} malformed scenarios and "
            f"{args.examples} malformed lifecycle requests (shared out between the four workflows), drawn by "
            "Hypothesis (derandomized) from the bundled examples (required fields dropped, wrong types, "
            "out-of-range numbers, bad patterns, unknown keys, 100,000-character strings, nulls, nested "
            "garbage, non-object documents), kept whether valid or not; plus every near-valid document "
            "(`benchmarks/near_valid.py`): each field of each bundled example at and just past each limit "
            "the published JSON Schema gives it (lengths, patterns, enums, minimum/maximum such as "
            'root_volume_gb 199/200/500/501, array and map sizes, required and unknown keys, `"200"`, '
            "`200.0` and `true` for a number), tag keys and values AppStream refuses, and name templates "
            "that fill to AppStream's longest name and one character more.",
            "Each verdict is judged by an oracle that does not use the product's models "
            "(`benchmarks/oracle.py`): the published JSON Schema (`docs/openapi.json`, the workflows' "
            "request schemas, the scenario schema) through `jsonschema`'s Draft 2020-12 validator, with "
            "`pattern`'s `$` read as ECMA-262 reads it (the end of the text); AppStream's constraints from "
            "botocore's service model for the values that reach AppStream (`benchmarks/appstream_limits.py`: "
            "name, ARN, AMI id and instance-type patterns, lengths, enums, tag key and value patterns), name "
            "templates filled with the longest run id (40 characters) and, in lifecycle AMI names, a short "
            "stand-in for `{image}` (the image is known only at run time); and the cross-field rules the "
            "schemas cannot say, each named in the oracle with the field it puts at fault (one source, "
            "import settings only with an AMI, security groups and agent mode need a subnet, scripts only in "
            "agent mode, one snapshot ceiling, expected wait within its ceiling, unique names, "
            "an IANA time zone, a fault's operation and error in botocore's model, TIMED_OUT only for "
            "export tasks). Accepted-but-invalid and rejected-but-valid count disagreements with it; "
            '"not at fault" counts rejections naming no field the oracle found invalid (a field inside '
            "it counts). `run --local` gets only the documents the oracle finds invalid (a valid one would "
            "start a run); the API's 2xx and 409 (a running run already makes that image) mean accepted.",
            table(
                [
                    "target",
                    "cases",
                    "of them near-valid",
                    "rejected",
                    "accepted",
                    "accepted but invalid",
                    "rejected but valid",
                    "not at fault",
                    "failures",
                ],
                rows,
            ),
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
