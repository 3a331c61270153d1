"""Conditional reads (If-None-Match) answered before the record or the page is built:
a record, its vCard and the change feed.  The cheap path must give the validators of the
full one, keep access rules (a 404 never turns into a 304) and read no record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key, revoke_key
from app.authorities.models import Authority
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from tests.conftest import make_record, settings_env, store


@pytest.fixture
def quiet_client(db_url: str) -> Iterator[TestClient]:
    """A client of an app without the in-process search index, whose building and
    polling would run statements of their own beside the ones a test looks at."""
    from app.main import create_app

    with settings_env(CNA_SEARCH_ENGINE="postgres"), \
            TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL the application sends while the block runs."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db_engine.get_engine()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def conditional(client: TestClient, path: str, etag: str,
                headers: dict[str, str] | None = None) -> Any:
    return client.get(path, headers={**(headers or {}), "If-None-Match": etag})


CHILD_OR_REFERENCE_ROWS = re.compile(
    r"\b(from|join)\s+(designations|contacts|phones|emails|countries|revisions)\b", re.I)
RECORD_FORMS: list[tuple[str, dict[str, str]]] = [
    ("", {}), ("", {"Accept": "text/vcard"}), (".vcf", {})]


def test_a_current_copy_is_a_304_with_the_headers_of_the_200_and_no_record_read(
        quiet_client: TestClient, bra: Authority, keys: dict[str, str]) -> None:
    client = quiet_client
    for suffix, accept in RECORD_FORMS:
        for caller in ({}, bearer(keys["secretariat"])):
            path = f"/v1/authorities/{bra.id}{suffix}"
            full = client.get(path, headers={**accept, **caller})
            assert full.status_code == 200
            with statements() as seen:
                again = conditional(client, path, full.headers["etag"], {**accept, **caller})
            assert again.status_code == 304 and again.content == b""
            for name in ("etag", "vary", "content-disposition"):
                assert again.headers.get(name) == full.headers.get(name), (path, name)
            assert not [sql for sql in seen if CHILD_OR_REFERENCE_ROWS.search(sql)], path


def test_a_changed_record_answers_200_with_a_new_etag(
        client: TestClient, session: Session, reference: ReferenceData, bra: Authority) -> None:
    old = [client.get(f"/v1/authorities/{bra.id}{suffix}", headers=accept).headers["etag"]
           for suffix, accept in RECORD_FORMS]
    store(session, reference, make_record(notes={"en": "Changed."}))
    for (suffix, accept), etag in zip(RECORD_FORMS, old, strict=True):
        response = conditional(client, f"/v1/authorities/{bra.id}{suffix}", etag, accept)
        assert response.status_code == 200
        assert response.headers["etag"] != etag
        assert "Changed." in response.text


def test_the_view_and_the_card_languages_are_part_of_the_etag(
        client: TestClient, bra: Authority, keys: dict[str, str]) -> None:
    path = f"/v1/authorities/{bra.id}"
    public = client.get(path).headers["etag"]
    full = client.get(path, headers=bearer(keys["secretariat"])).headers["etag"]
    assert public != full
    # A public copy never validates the full view, nor the other way round.
    assert conditional(client, path, public, bearer(keys["secretariat"])).status_code == 200
    assert conditional(client, path, full).status_code == 200
    card_en = client.get(path + ".vcf", params={"lang": "en"}).headers["etag"]
    assert conditional(client, path + ".vcf?lang=pt", card_en).status_code == 200
    assert conditional(client, path + ".vcf?lang=en", card_en).status_code == 304
    # A JSON validator does not validate the card of the same version, nor the reverse.
    assert conditional(client, path, card_en, {"Accept": "text/vcard"}).status_code == 200
    assert conditional(client, path + ".vcf", public).status_code == 200


def test_unknown_or_out_of_scope_records_are_404_whatever_the_validator(
        client: TestClient, session: Session, bra: Authority, fra: Authority) -> None:
    network_bra = bearer(create_key(session, Role.network, countries=["BRA"])[0])
    session.commit()
    guesses = ["*", '"1-full"', '"1-public"', '"1-full-vcard-0"']
    for suffix, accept in RECORD_FORMS:
        for guess in guesses:
            unknown = conditional(client, f"/v1/authorities/{'0' * 8}-0000-4000-8000-"
                                          f"{'0' * 12}{suffix}", guess, accept)
            assert unknown.status_code == 404, (suffix, guess)
            outside = conditional(client, f"/v1/authorities/{fra.id}{suffix}", guess,
                                  {**accept, **network_bra})
            assert outside.status_code == 404, (suffix, guess)
            assert outside.headers["content-type"] == "application/problem+json"
        # What the full path says for the same requests.
        plain = client.get(f"/v1/authorities/{fra.id}{suffix}", headers={**accept,
                                                                          **network_bra})
        assert plain.status_code == 404
        inside = conditional(client, f"/v1/authorities/{bra.id}{suffix}", "*",
                             {**accept, **network_bra})
        assert inside.status_code == 304


def head_of(client: TestClient, headers: dict[str, str] | None = None) -> str:
    cursor = "0"
    while True:
        page = client.get("/v1/changes", params={"after": cursor, "limit": 1000},
                          headers=headers or {}).json()
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return str(cursor)


def test_the_feed_at_its_head_is_answered_from_the_head_alone(
        quiet_client: TestClient, session: Session, reference: ReferenceData,
        bra: Authority) -> None:
    client = quiet_client
    head = head_of(client)
    with statements() as seen:
        empty = client.get("/v1/changes", params={"after": head})
    assert empty.status_code == 200
    assert empty.json() == {"items": [], "next_cursor": head, "has_more": False}
    with statements() as seen_304:
        again = conditional(client, f"/v1/changes?after={head}", empty.headers["etag"])
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == empty.headers["etag"]
    for sql in seen + seen_304:
        assert not CHILD_OR_REFERENCE_ROWS.search(sql) and "repeatable read" not in sql.lower()
    # Something new: the same validator no longer holds, and the page has the change.
    store(session, reference, make_record(notes={"en": "New."}))
    fresh = conditional(client, f"/v1/changes?after={head}", empty.headers["etag"])
    assert fresh.status_code == 200 and len(fresh.json()["items"]) == 1
    assert fresh.headers["etag"] != empty.headers["etag"]


def test_the_cheap_and_the_full_path_give_the_same_feed_etag(
        client: TestClient, session: Session, reference: ReferenceData, bra: Authority,
        keys: dict[str, str]) -> None:
    store(session, reference, make_record(notes={"en": "Second."}))
    # A page with entries is built in full; its validator is then checked from the head.
    full = client.get("/v1/changes", params={"after": "0"})
    assert len(full.json()["items"]) == 2
    assert conditional(client, "/v1/changes?after=0", full.headers["etag"]).status_code == 304
    # At the head: the cheap path (no wait) and the full one (a long poll that times out)
    # give the same page and the same validator.
    head = full.json()["next_cursor"]
    cheap = client.get("/v1/changes", params={"after": head})
    polled = client.get("/v1/changes", params={"after": head, "wait": 0.05})
    assert cheap.json() == polled.json()
    assert cheap.headers["etag"] == polled.headers["etag"]
    # The view and the limit are part of it.
    keyed = client.get("/v1/changes", params={"after": head},
                       headers=bearer(keys["secretariat"]))
    limited = client.get("/v1/changes", params={"after": head, "limit": 5})
    assert len({cheap.headers["etag"], keyed.headers["etag"], limited.headers["etag"]}) == 3
    # A cursor ahead of the log is still refused, with or without a validator.
    ahead = conditional(client, "/v1/changes?after=999999", "*")
    assert ahead.status_code == 422


@contextmanager
def round_trips() -> Iterator[list[tuple[str, bool]]]:
    """Each statement the application sends while the block runs, and whether its
    connection was in autocommit (else the driver sent a ``BEGIN`` before it, and a
    ``ROLLBACK`` or ``COMMIT`` follows)."""
    seen: list[tuple[str, bool]] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append((statement, bool(conn.connection.dbapi_connection.autocommit)))

    engine = db_engine.get_engine()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_304_is_one_statement_outside_a_transaction_with_a_key_or_without(
        quiet_client: TestClient, session: Session, bra: Authority) -> None:
    client = quiet_client
    network = bearer(create_key(session, Role.network)[0])
    session.commit()
    for suffix, accept in RECORD_FORMS:
        path = f"/v1/authorities/{bra.id}{suffix}"
        for caller in ({}, network):
            etag = client.get(path, headers={**accept, **caller}).headers["etag"]
            with round_trips() as seen:
                again = conditional(client, path, etag, {**accept, **caller})
            assert again.status_code == 304
            assert len(seen) == 1 and seen[0][1], (path, caller, seen)
            # With a key, the key and the record's stamp are read in that one statement.
            assert "api_keys" in seen[0][0] if caller else "api_keys" not in seen[0][0]
            assert "authorities" in seen[0][0]


def test_a_key_revoked_between_two_304s_gets_401_on_the_second(
        client: TestClient, session: Session, bra: Authority) -> None:
    key = create_key(session, Role.network)[0]
    session.commit()
    for suffix, accept in RECORD_FORMS:
        path = f"/v1/authorities/{bra.id}{suffix}"
        etag = client.get(path, headers={**accept, **bearer(key)}).headers["etag"]
        assert conditional(client, path, etag, {**accept, **bearer(key)}).status_code == 304
    revoke_key(session, key)
    session.commit()
    for suffix, accept in RECORD_FORMS:
        path = f"/v1/authorities/{bra.id}{suffix}"
        refused = conditional(client, path, '"1-full"', {**accept, **bearer(key)})
        assert refused.status_code == 401, path
        assert refused.headers["content-type"] == "application/problem+json"


def test_a_malformed_id_with_a_validator_and_a_key_is_a_422(
        client: TestClient, keys: dict[str, str]) -> None:
    for path in ("/v1/authorities/not-an-id", "/v1/authorities/not-an-id.vcf"):
        response = conditional(client, path, "*", bearer(keys["secretariat"]))
        assert response.status_code == 422, path
        assert response.headers["content-type"] == "application/problem+json"


def test_the_feed_at_its_head_is_one_statement_outside_a_transaction_with_a_key_or_without(
        quiet_client: TestClient, session: Session, reference: ReferenceData,
        bra: Authority) -> None:
    client = quiet_client
    network = bearer(create_key(session, Role.network)[0])
    session.commit()
    for caller in ({}, network):
        head = head_of(client, caller)
        empty = client.get("/v1/changes", params={"after": head}, headers=caller)
        with round_trips() as seen:
            again = conditional(client, f"/v1/changes?after={head}", empty.headers["etag"],
                                caller)
        assert again.status_code == 304
        assert len(seen) == 1 and seen[0][1], (caller, seen)
        assert "api_keys" in seen[0][0] if caller else "api_keys" not in seen[0][0]
    # The head read beside the key is the log's: a change makes the same validator stale.
    stale = client.get("/v1/changes", params={"after": head_of(client, network)},
                       headers=network).headers["etag"]
    store(session, reference, make_record(notes={"en": "Newer."}))
    fresh = conditional(client, f"/v1/changes?after={head}", stale, network)
    assert fresh.status_code == 200 and len(fresh.json()["items"]) == 1
