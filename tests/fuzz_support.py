"""Schemathesis's engine run against a live server, and its findings as a report.

``run_fuzz`` drives the same engine as ``schemathesis run`` (phases: examples, coverage,
fuzzing, stateful), collects every failing check and every engine error, and groups them
per operation, one line per distinct failure with the shortest request that showed it as
a curl command.  A 5xx is paired with the exception the server logged for the same
request line.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
import uvicorn
from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder
from sqlalchemy import Engine
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key, find_key

# What a finding must never be: a server error, a status or a content type the OpenAPI does
# not document, or a body that does not match the documented schema.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
# Values that broke this service before (NUL characters, which PostgreSQL text refuses;
# dates at the ends of the calendar, where arithmetic overflows; numbers beyond a 32- or
# 64-bit column), drawn in place of generated ones: in every query, path and header
# parameter, and in the body fields a seed names (``EDGE_BINDING``).
EDGE_STRINGS = ["\x00", "a\x00b", "9999-12-31", "0001-01-01", "9999-12-31T23:59:59+00:00",
                "0001-01-01T00:00:00+14:00", "99999999999999999999", "-9223372036854775809"]
EDGE_INTEGERS = [2**31, 2**63, -(2**63) - 1, 10**30]
EDGE_BINDING = {"dictionary": "edge-strings", "probability": 0.3}
# The address the report's curl lines use (`make run`), instead of the test server's port.
REPORT_BASE_URL = "http://127.0.0.1:8000"


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` by uvicorn on a free loopback port, in a thread; yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class ServerErrors(logging.Handler):
    """The exceptions the server logged (app.core.errors: "unhandled error on METHOD
    PATH"), the latest by request line."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.by_request_line: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.name != "app.core.errors" or not record.exc_info or not record.args:
            return
        error = record.exc_info[1]
        first_line = str(error).splitlines()[0] if str(error) else ""
        request_line = " ".join(str(arg) for arg in record.args)
        self.by_request_line[request_line] = f"{type(error).__name__}: {first_line}"[:300]


@contextmanager
def capture_server_errors() -> Iterator[ServerErrors]:
    handler = ServerErrors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


class KeyKeeper:
    """A live key of one role for the fuzzer: the fuzzer may revoke the key it is using
    (it lists the keys, then deletes what it found), after which every request would
    only meet 401; then a new key is made, and ``renewals`` counts how often."""

    def __init__(self, engine: Engine, role: Role) -> None:
        self.engine = engine
        self.role = role
        self.renewals = 0
        self.key = self._create()

    def _create(self) -> str:
        with Session(self.engine) as session:
            key, _ = create_key(session, self.role, label="fuzz")
            session.commit()
        return key

    def current(self) -> str:
        with Session(self.engine) as session:
            row = find_key(session, self.key)
            live = row is not None and row.revoked_at is None
        if not live:
            self.key = self._create()
            self.renewals += 1
        return self.key


def authenticate_as(schema: Any, keeper: KeyKeeper) -> None:
    """Send every request of ``schema`` with the keeper's current key."""

    class LiveKey:
        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return keeper.current()

        def set(self, case: schemathesis.Case, data: str,
                context: schemathesis.AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    schema.auth(refresh_interval=None)(LiveKey)


@dataclass
class Finding:
    operation: str
    check: str
    title: str
    status: int | None
    message: str
    curl: str
    phase: str
    server_error: str | None = None
    seen: int = 1

    def line(self) -> str:
        status = f"{self.status} " if self.status is not None else ""
        cause = f" [server: {self.server_error}]" if self.server_error else ""
        message = f" - {self.message}" if self.message else ""
        return (f"  - {status}{self.title} ({self.check}, {self.phase} phase, seen {self.seen}x)"
                f"{message}{cause}\n      {self.curl}")


@dataclass
class FuzzReport:
    findings: dict[tuple[str, ...], Finding] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    requests_per_phase: Counter[str] = field(default_factory=Counter)
    statuses_by_operation: dict[str, Counter[int]] = field(default_factory=dict)
    successes: set[str] = field(default_factory=set)
    # Operations answered 2xx on a request whose values came from an earlier response.
    linked_successes: set[str] = field(default_factory=set)

    def add(self, finding: Finding) -> None:
        key = (finding.operation, finding.check, finding.title, str(finding.status),
               finding.message.splitlines()[0] if finding.message else "")
        known = self.findings.get(key)
        if known is None:
            self.findings[key] = finding
            return
        known.seen += 1
        if len(finding.curl) < len(known.curl):
            finding.seen = known.seen
            self.findings[key] = finding

    def render(self) -> str:
        by_operation: dict[str, list[Finding]] = {}
        for finding in self.findings.values():
            by_operation.setdefault(finding.operation, []).append(finding)
        lines = [f"{len(self.findings)} distinct failure(s) in {len(by_operation)} operation(s); "
                 f"requests per phase {dict(self.requests_per_phase)}; statuses "
                 f"{dict(sorted(self.statuses.items()))}. Curl lines target `make run` at "
                 f"{REPORT_BASE_URL}; CNA_KEY is the run's key."]
        for operation in sorted(by_operation):
            lines.append(f"\n{operation}")
            found = sorted(by_operation[operation], key=lambda item: (item.check, item.title))
            lines.extend(finding.line() for finding in found)
        if self.errors:
            lines.append("\nengine errors")
            lines.extend(f"  - {error}" for error in self.errors)
        return "\n".join(lines)


def fuzz_config(base_url: str, *, phases: tuple[str, ...], examples: int, seed: int,
                pinned: dict[str, dict[str, Any]]) -> schemathesis.Config:
    """The run's configuration: fixed seed and derandomized generation, no example
    database or cache carried between runs, one worker (requests in a fixed order)."""
    return schemathesis.Config.from_dict({
        "seed": seed,
        "cache": {"enabled": False},
        "dictionaries": {"edge-strings": {"values": EDGE_STRINGS},
                         "edge-integers": {"values": EDGE_INTEGERS}},
        "base-url": base_url,
        "workers": 1,
        "continue-on-failure": True,
        # Above the longest a request may legitimately take (the feed's 30 s long poll).
        "request-timeout": 60,
        "generation": {"max-examples": examples, "deterministic": True, "database": "none",
                       # The run's identity is its KeyKeeper's key, never a generated token.
                       "with-security-parameters": False,
                       "dictionaries": {
                           "string": {"dictionary": "edge-strings", "probability": 0.1},
                           "integer": {"dictionary": "edge-integers", "probability": 0.1}}},
        "phases": {name: {"enabled": name in phases}
                   for name in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "operations": [{"include-name": label, "parameters": values}
                       for label, values in pinned.items()],
    })


@dataclass
class Seeds:
    """Valid values the live OpenAPI cannot know (an existing record, its ETag, a record
    the validator accepts), given to Schemathesis as examples: the examples phase sends
    them, and the coverage phase starts from them and changes one value at a time, so a
    bad value deep in a record reaches the code behind the validator."""

    parameters: dict[str, Any]
    bodies: dict[str, Any]  # by operation label ("POST /v1/authorities")
    # Fields the fuzzing and stateful phases take from these values instead of generating
    # them, by operation label and body path ("body.country", "body.[*].country"): a
    # record the validator accepts except in its free text, which stays generated (and
    # draws edge values when bound to EDGE_BINDING).
    pinned: dict[str, dict[str, Any]] = field(default_factory=dict)


def seeded(openapi: dict[str, Any], seeds: Seeds) -> dict[str, Any]:
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("name", "").lower() in seeds.parameters:
                    parameter["example"] = seeds.parameters[parameter["name"].lower()]
            body = seeds.bodies.get(f"{method.upper()} {path}")
            content = operation.get("requestBody", {}).get("content", {})
            if body is not None and "application/json" in content:
                content["application/json"]["example"] = body
    return openapi


def run_fuzz(base_url: str, *, key: KeyKeeper | None, phases: tuple[str, ...],
             examples: int, seed: int, seeds: Seeds,
             server_errors: ServerErrors) -> FuzzReport:
    """One run: anonymous when ``key`` is None."""
    config = fuzz_config(base_url, phases=phases, examples=examples, seed=seed,
                         pinned=seeds.pinned)
    openapi = httpx.get(f"{base_url}/openapi.json", timeout=30).raise_for_status().json()
    schema = schemathesis.openapi.from_dict(seeded(openapi, seeds), config=config)
    if key is not None:
        authenticate_as(schema, key)
    report = FuzzReport()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _collect(report, event.recorder, str(event.phase.value), base_url, server_errors)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.title}: {event.info.message[:500]}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"engine: {event.exception!r}")
    return report


def _collect(report: FuzzReport, recorder: ScenarioRecorder, phase: str, base_url: str,
             server_errors: ServerErrors) -> None:
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if node is None or interaction.response is None:
            continue
        report.requests_per_phase[phase] += 1
        report.statuses[interaction.response.status_code] += 1
        report.statuses_by_operation.setdefault(node.value.operation.label, Counter())[
            interaction.response.status_code] += 1
        if interaction.response.status_code < 300:
            report.successes.add(node.value.operation.label)
            if node.transition is not None:
                report.linked_successes.add(node.value.operation.label)
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            recorded = recorder.interactions.get(case_id)
            response = recorded.response if recorded is not None else None
            node = recorder.cases.get(case_id)
            operation = failure.operation or (node.value.operation.label if node else "?")
            request_line = (f"{node.value.method.upper()} {node.value.formatted_path}"
                            if node else "")
            steps = [step.curl for step in check.failure_info.steps if step.case_id != case_id]
            curl = "\n      ".join([*steps, check.failure_info.code_sample])
            report.add(Finding(
                operation=operation, check=check.name, title=failure.title,
                status=response.status_code if response is not None else None,
                message=" ".join(failure.message.split())[:300], phase=phase,
                curl=_portable(curl, base_url),
                server_error=server_errors.by_request_line.get(request_line),
            ))


def _portable(curl: str, base_url: str) -> str:
    return (curl.replace(base_url, REPORT_BASE_URL)
            .replace("'Authorization: [Filtered]'", '"Authorization: Bearer $CNA_KEY"'))
