"""Inputs the database cannot hold, and unexpected errors (issue 11, items 3 to 5).

- NUL (U+0000) in any path or query parameter or any body text is a 422 with its pointer
  (PostgreSQL text and jsonb cannot hold it); in an import it is a record error.
- Route card moments, key expiries and record dates are bounded; integers stay within
  their columns.  The integer cases are generated from /openapi.json.
- An unexpected exception is a problem+json 500 with the request id and the security
  headers, and the keep-alive connection survives it.
- Every operation documents the 422 problem+json it can give.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.reference.data import ReferenceData
from tests.conftest import make_record, store

PROBLEM = "application/problem+json"
NUL = "\u0000"
HUGE = (2**31, 2**63, 10**40)
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer"}


@pytest.fixture
def secretariat(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def record_id(session: Session, reference: ReferenceData) -> str:
    return str(store(session, reference, make_record()).authority.id)


def all_pointers(value: Any) -> list[str]:
    """Every ``pointer`` in a problem body, those of an import report's records too."""
    if isinstance(value, dict):
        found = [value["pointer"]] if isinstance(value.get("pointer"), str) else []
        return found + [p for item in value.values() for p in all_pointers(item)]
    if isinstance(value, list):
        return [p for item in value for p in all_pointers(item)]
    return []


def assert_invalid_at(resp: Any, pointer: str) -> None:
    """A 422 problem naming ``pointer`` (possibly under /body or /body/record)."""
    assert resp.status_code == 422, (pointer, resp.status_code, resp.text[:500])
    assert resp.headers["content-type"].startswith(PROBLEM)
    found = all_pointers(resp.json())
    assert any(p == pointer or p.endswith(pointer) for p in found), (pointer, found)


# --------------------------------------------------------------------------- NUL


@pytest.mark.parametrize(("url", "pointer"), [
    ("/v1/countries/B%00R", "/path/code"),
    ("/v1/networks/%00", "/path/code"),
    ("/v1/authorities?language=%00", "/query/language"),
    ("/v1/authorities?country=BRA&country=A%00", "/query/country"),
    ("/v1/route?from=FR%00&to=BRA&type=extradition", "/query/from"),
    ("/v1/route?from=FRA&to=B%00&type=extradition", "/query/to"),
    ("/v1/route?from=FRA&to=BRA&type=%00", "/query/type"),
    ("/v1/route?from=FRA&to=BRA&type=extradition&instrument=%00", "/query/instrument"),
    ("/v1/search?q=a%00b", "/query/q"),
    ("/v1/export?country=%00", "/query/country"),
])
def test_nul_in_a_parameter_is_422_with_its_pointer(client: TestClient, url: str,
                                                    pointer: str) -> None:
    resp = client.get(url)
    assert_invalid_at(resp, pointer)
    assert resp.headers["x-request-id"]


def test_nul_in_a_write_parameter_is_422(client: TestClient, secretariat: dict[str, str],
                                         record_id: str) -> None:
    resp = client.post("/v1/authorities/" + record_id + "/withdraw?reason=%00",
                       json={"reason": "gone"}, headers=secretariat)
    assert_invalid_at(resp, "/query/reason")
    resp = client.delete("/v1/keys/abcdefgh%00", headers=secretariat)
    assert_invalid_at(resp, "/path/prefix")


@pytest.mark.parametrize("query", ["from=FRA&to=BRA&type=%00", "from=F%00&to=BRA&type=x",
                                   "from=FRA&to=BRA&type=extradition&instrument=%00",
                                   "from=FRA&to=BRA&type=extradition&region=%00"])
def test_web_route_page_with_nul_is_a_4xx(client: TestClient, query: str) -> None:
    resp = client.get("/route?" + query)
    assert 400 <= resp.status_code < 500, resp.text[:300]


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


Path = tuple[str | int, ...]
Leaf = tuple[Path, dict[str, Any]]


def _leaves(schema: dict[str, Any], components: dict[str, Any], types: set[str],
            path: Path = (), seen: frozenset[str] = frozenset()) -> Iterator[Leaf]:
    """(path, schema) of every leaf of one of ``types`` in a JSON schema; arrays are
    entered at index 0, maps (additionalProperties) at the key "en"."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    if ref:
        seen = seen | {ref}
    schema = _resolve(schema, components)
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        yield from _leaves(branch, components, types, path, seen)
    kind = schema.get("type")
    if kind in types:
        yield path, schema
    for name, prop in schema.get("properties", {}).items():
        yield from _leaves(prop, components, types, (*path, name), seen)
    if isinstance(schema.get("items"), dict):
        yield from _leaves(schema["items"], components, types, (*path, 0), seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _leaves(schema["additionalProperties"], components, types, (*path, "en"),
                           seen)


def _set_at(document: Any, path: Path, value: Any) -> Any:
    """``document`` with ``value`` at ``path``, making the containers on the way."""
    if not path:
        return value
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        items = list(document) if isinstance(document, list) else []
        while len(items) <= step:
            items.append({})
        items[step] = _set_at(items[step], rest, value)
        return items
    fields = dict(document) if isinstance(document, dict) else {}
    fields[step] = _set_at(fields.get(step), rest, value)
    return fields


def _pointer(path: Path) -> str:
    return "/" + "/".join(str(p) for p in path)


def _is_record(schema: dict[str, Any]) -> bool:
    return "AuthorityIn" in str(schema.get("$ref", "")) or "AuthorityIn" in str(
        schema.get("items", {}).get("$ref", ""))


def _json_bodies(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                yield method, path, content["application/json"]["schema"]


def _base_body(body_schema: dict[str, Any]) -> Any:
    """A valid record for record routes (so only the field under test is wrong); an
    empty object otherwise (the field's own error is reported beside the missing ones)."""
    if not _is_record(body_schema):
        return {}
    record = make_record(ref=f"T-{uuid.uuid4().hex[:8]}")
    return [record] if body_schema.get("type") == "array" else record


def _url(path: str, record_id: str) -> str:
    return (path.replace("{authority_id}", record_id)
            .replace("{proposal_id}", str(uuid.uuid4())).replace("{id}", str(uuid.uuid4())))


def test_nul_in_any_body_text_field_is_422_with_its_pointer(
        client: TestClient, secretariat: dict[str, str], record_id: str) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    headers = {**secretariat, "If-Match": '"1-full"'}
    cases = 0
    for method, path, body_schema in _json_bodies(schema):
        for field, _ in _leaves(body_schema, components, {"string"}):
            body = _set_at(_base_body(body_schema), field, f"a{NUL}b")
            resp = client.request(method.upper(), _url(path, record_id), json=body,
                                  headers=headers)
            assert resp.status_code < 500, (method, path, field, resp.text[:300])
            inner = field[1:] if body_schema.get("type") == "array" else field
            assert_invalid_at(resp, _pointer(inner))
            cases += 1
    assert cases > 60  # the record's fields, keys, proposals, decisions, webhooks


def test_nul_in_a_merge_patch_or_proposed_record_is_422(
        client: TestClient, secretariat: dict[str, str], record_id: str) -> None:
    resp = client.patch("/v1/authorities/" + record_id, json={"notes": {"en": f"x{NUL}"}},
                        headers={**secretariat, "If-Match": '"1-full"',
                                 "Content-Type": "application/merge-patch+json"})
    assert_invalid_at(resp, "/notes/en")
    proposed = make_record(ref="BRA-NEW", parent={"pt": f"Minist{NUL}rio"})
    resp = client.post("/v1/proposals", json={"action": "create", "record": proposed},
                       headers=secretariat)
    assert_invalid_at(resp, "/parent/pt")
    assert client.get(f"/v1/authorities/{record_id}").json()["version"] == 1


def test_nul_in_an_import_is_a_record_error(client: TestClient,
                                            secretariat: dict[str, str]) -> None:
    records = [make_record(ref="BRA-A", notes={"en": f"x{NUL}y"}),
               make_record(ref="BRA-B"),
               make_record(ref="BRA-C", name={"en": "Office", f"p{NUL}t": "Escritório"})]
    ndjson = "".join(json.dumps(r) + "\n" for r in records)
    resp = client.post("/v1/import", content=ndjson,
                       headers={**secretariat, "Content-Type": "application/x-ndjson"})
    assert resp.status_code == 422, resp.text
    report = resp.json()["report"]
    assert (report["records"], report["invalid"], report["written"]) == (3, 2, False)
    by_line = {e["line"]: [f["pointer"] for f in e["errors"]] for e in report["errors"]}
    assert "/notes/en" in by_line[1]
    assert f"/name/p{NUL}t" in by_line[3]
    dry = client.post("/v1/import?dry_run=true", json=records[1:2], headers=secretariat)
    assert dry.status_code == 200 and dry.json()["created"] == 1


# --------------------------------------------------------------------------- moments


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                                "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z",
                                "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_route_card_moment_out_of_range_is_422(client: TestClient, record_id: str,
                                               at: str) -> None:
    resp = client.get("/v1/route", params={"from": "FRA", "to": "BRA",
                                           "type": "mutual_legal_assistance", "at": at})
    assert_invalid_at(resp, "/query/at")
    assert resp.headers["x-request-id"]


@pytest.mark.parametrize(("at", "status"), [
    ("1900-01-01T00:00:00Z", 404),  # before the designation (2004): no route then
    ("2200-12-31T23:59:59Z", 200), ("2026-06-01T12:00:00", 200),
])
def test_route_card_moment_in_range_is_answered(client: TestClient, record_id: str,
                                                at: str, status: int) -> None:
    resp = client.get("/v1/route", params={"from": "FRA", "to": "BRA",
                                           "type": "mutual_legal_assistance", "at": at})
    assert resp.status_code == status, resp.text


def test_moment_range_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    param = next(p for p in paths["/v1/route"]["get"]["parameters"] if p["name"] == "at")
    assert "1900" in param["description"] and "2200" in param["description"], param


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_extreme_updated_since_is_only_a_filter(client: TestClient, record_id: str,
                                                since: str) -> None:
    """Compared, never stored or computed with: any date-time Python reads is answered."""
    for path in ("/v1/authorities", "/v1/export"):
        resp = client.get(path, params={"updated_since": since})
        assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("expires_at", [
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2001-01-01T00:00:00Z",
    "past", "eleven years",
])
def test_key_expiry_outside_the_next_ten_years_is_422(
        client: TestClient, secretariat: dict[str, str], expires_at: str) -> None:
    now = datetime.now(UTC)
    moment = {"past": (now - timedelta(minutes=1)).isoformat(),
              "eleven years": (now + timedelta(days=11 * 366)).isoformat()}.get(expires_at,
                                                                                expires_at)
    resp = client.post("/v1/keys", json={"role": "official", "expires_at": moment},
                       headers=secretariat)
    assert_invalid_at(resp, "/body/expires_at")
    listed = client.get("/v1/keys", headers=secretariat)
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == 1  # only the caller's own key


def test_key_expiry_within_ten_years_is_kept_in_utc(client: TestClient,
                                                    secretariat: dict[str, str]) -> None:
    soon = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0, tzinfo=None)
    resp = client.post("/v1/keys", json={"role": "official", "expires_at": soon.isoformat()},
                       headers=secretariat)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert datetime.fromisoformat(created["expires_at"]) == soon.replace(tzinfo=UTC)
    listed = client.get("/v1/keys", headers=secretariat)
    assert listed.status_code == 200
    deleted = client.delete(f"/v1/keys/{created['prefix']}", headers=secretariat)
    assert deleted.status_code == 200, deleted.text


# --------------------------------------------------------------------------- integers


@pytest.mark.parametrize("base_version", [2**40, 10**33, 2**31, 0])
def test_proposal_base_version_out_of_range_is_422(
        client: TestClient, secretariat: dict[str, str], record_id: str,
        base_version: int) -> None:
    resp = client.post("/v1/proposals", json={"action": "withdraw", "authority_id": record_id,
                                              "base_version": base_version},
                       headers=secretariat)
    assert_invalid_at(resp, "/body/base_version")


def _sample(schema: dict[str, Any]) -> Any:
    """A value that satisfies a parameter's schema (enough to pass validation)."""
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            return _sample(branch)
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return "false"
    low, high = schema.get("minLength", 1), schema.get("maxLength", 8)
    return "BRA"[:high].ljust(low, "A")


def _parameter_cases(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any],
                                                                dict[str, Any]]]:
    """(method, path, the numeric parameter, the operation) for every numeric path or
    query parameter of the OpenAPI."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] not in ("path", "query"):
                    continue
                numeric = [s for s in [param["schema"], *param["schema"].get("anyOf", [])]
                           if s.get("type") in ("integer", "number")]
                if numeric:
                    yield method, path, param, operation


def _maximum(schema: dict[str, Any]) -> int | float:
    numeric = [s for s in [schema, *schema.get("anyOf", [])]
               if s.get("type") in ("integer", "number")]
    assert numeric and "maximum" in numeric[0], f"unbounded number: {schema}"
    maximum: int | float = numeric[0]["maximum"]
    return maximum


def test_every_integer_of_the_openapi_is_bounded_and_refused_beyond(
        client: TestClient, secretariat: dict[str, str], record_id: str) -> None:
    """Each numeric parameter and body field (the record's too), with 2^31, 2^63 and
    10^40: never a 5xx; a 422 at its pointer above its documented maximum, which must
    fit the BIGINT column at most."""
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    headers = {**secretariat, "If-Match": '"1-full"'}
    tried: set[str] = set()
    for method, path, param, operation in _parameter_cases(schema):
        maximum = _maximum(param["schema"])
        assert maximum <= 2**63 - 1, (path, param)
        others = {p["name"]: p for p in operation.get("parameters", [])
                  if p["required"] and p["in"] in ("path", "query")}
        for value in HUGE:
            values = {name: _sample(p["schema"]) for name, p in others.items()}
            values[param["name"]] = value
            url = path.replace("{authority_id}", record_id)
            query = {}
            for name, p in {**others, param["name"]: param}.items():
                if p["in"] == "path":
                    url = url.replace("{" + name + "}", str(values[name]))
                else:
                    query[name] = values[name]
            resp = client.request(method.upper(), url, params=query, headers=headers)
            assert resp.status_code < 500, (method, url, query, resp.text[:300])
            if value > maximum:
                assert_invalid_at(resp, f"/{param['in']}/{param['name']}")
        tried.add(f"{param['in']}:{param['name']}")
    for method, path, body_schema in _json_bodies(schema):
        for field, leaf in _leaves(body_schema, components, {"integer", "number"}):
            maximum = _maximum(leaf)
            assert maximum <= 2**63 - 1, (path, field)
            for value in HUGE:
                body = _set_at(_base_body(body_schema), field, value)
                resp = client.request(method.upper(), _url(path, record_id), json=body,
                                      headers=headers)
                assert resp.status_code < 500, (method, path, field, value, resp.text[:300])
                inner = field[1:] if body_schema.get("type") == "array" else field
                if value > maximum:
                    assert_invalid_at(resp, _pointer(inner))
            tried.add(f"body:{field[-1]}")
    # Generated, not listed: these are only the ones known today.
    assert {"query:limit", "query:offset", "path:version", "query:before", "body:version",
            "body:base_version", "body:delivery_id"} <= tried, tried


# --------------------------------------------------------------------------- documentation


def test_every_operation_documents_its_422_as_problem_json(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            invalid = operation["responses"].get("422")
            assert invalid is not None, (method, path)
            assert PROBLEM in invalid["content"], (method, path, invalid)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_long_key_prefix_is_a_documented_422(client: TestClient,
                                             secretariat: dict[str, str]) -> None:
    resp = client.delete("/v1/keys/" + "a" * 81, headers=secretariat)
    assert_invalid_at(resp, "/path/prefix")
    documented = client.get("/openapi.json").json()["paths"]["/v1/keys/{prefix}"]["delete"]
    assert resp.headers["content-type"].split(";")[0] in documented["responses"]["422"][
        "content"]


# --------------------------------------------------------------------------- 500s


def _app_that_fails() -> FastAPI:
    from app.main import create_app

    app = create_app()

    @app.get("/v1/boom")
    def boom() -> None:
        raise OverflowError("date value out of range: secret-detail")

    return app


def test_unexpected_error_is_a_500_problem_with_request_id_and_headers(db_url: str) -> None:
    with TestClient(_app_that_fails(), raise_server_exceptions=False) as client:
        resp = client.get("/v1/boom", headers={"X-Request-ID": "trace-42"})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["status"] == 500 and resp.json()["instance"] == "/v1/boom"
    assert "secret-detail" not in resp.text and "OverflowError" not in resp.text
    assert resp.headers["x-request-id"] == "trace-42"
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers[name] == value
    assert "default-src 'none'" in resp.headers["content-security-policy"]


@pytest.fixture
def live_server(db_url: str) -> Iterator[int]:
    """The failing app behind a real uvicorn on a loopback socket."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(_app_that_fails(), log_level="critical",
                                           timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # readiness, not timing
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield listener.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


def test_keep_alive_connection_survives_an_unexpected_error(live_server: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", live_server, timeout=30)
    try:
        conn.request("GET", "/v1/boom")
        failed = conn.getresponse()
        failed.read()
        assert failed.status == 500
        conn.auto_open = 0  # a dropped connection fails the next request
        conn.request("GET", "/healthz")
        healthy = conn.getresponse()
        assert healthy.status == 200 and healthy.read()
        assert not failed.will_close
        assert failed.getheader("content-type", "").startswith(PROBLEM)
        assert failed.getheader("x-request-id")
        assert failed.getheader("x-content-type-options") == "nosniff"
    finally:
        conn.close()
