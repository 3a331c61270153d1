"""Contact cards: RFC 6350 vCard 4.0, parsed back with an independent parser (vobject)."""

from __future__ import annotations

from typing import Any

import pytest
import vobject
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.vcard import escape, fold
from app.reference.data import ReferenceData
from tests.conftest import make_record, store

LONG_RU = ("Главное управление международно-правового сотрудничества "
           "Генеральной прокуратуры; отдел выдачи, правовой помощи и связи")


@pytest.fixture
def record(session: Session, reference: ReferenceData) -> Any:
    data = make_record(
        phones=[
            {"number": "+55 61 2025-3000", "kind": "voice", "label": "Switchboard"},
            {"number": "+55 61 2025-3001", "kind": "fax"},
            {"number": "+55 61 99999-0000", "kind": "mobile", "restricted": True},
        ],
        address={"lines": ["Esplanada dos Ministérios, Bloco T", "Anexo II; sala 3"],
                 "locality": "Brasília", "region": "DF", "postal_code": "70064-900"},
        notes={"en": "Requests; in Spanish, too.\nOriginals by post \\ courier.",
               "ru": LONG_RU},
    )
    return store(session, reference, data).authority


def cards(text: str) -> list[Any]:
    return list(vobject.readComponents(text))


def types_of(line: Any) -> set[str]:
    return {t.strip().lower() for value in line.params.get("TYPE", [])
            for t in value.split(",")}


def test_public_card_parses_back_and_is_redacted(client: TestClient, record: Any) -> None:
    response = client.get(f"/v1/authorities/{record.id}.vcf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/vcard; charset=utf-8"
    text = response.text
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n") and text.endswith("END:VCARD\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    [card] = cards(text)  # no card for the named contact in the public view
    assert card.version.value == "4.0" and card.kind.value == "org"
    assert card.uid.value == f"urn:uuid:{record.id}"
    assert card.fn.value == "Department of Asset Recovery and International Legal Cooperation"
    numbers = {tel.value: types_of(tel) for tel in card.contents["tel"]}
    assert numbers == {"tel:+556120253000": {"work", "voice"},
                       "tel:+556120253001": {"work", "fax"}}  # the mobile is restricted
    assert [e.value for e in card.contents["email"]] == ["mla@drci.example.org"]
    assert "duty@drci.example.org" not in text and "internal@" not in text
    assert card.url.value == "https://drci.example.org"
    adr = card.adr.value
    assert adr.street == ["Esplanada dos Ministérios, Bloco T", "Anexo II; sala 3"]
    assert (adr.city, adr.region, adr.code, adr.country) == \
        ("Brasília", "DF", "70064-900", "Brazil")
    notes = {n.params["LANGUAGE"][0]: n.value for n in card.contents["note"]}
    assert notes["en"] == "Requests; in Spanish, too.\nOriginals by post \\ courier."
    assert notes["ru"] == LONG_RU
    assert card.tz.value == "America/Sao_Paulo"
    assert [lang.value for lang in card.contents["lang"]] == ["pt", "en", "es"]


def test_key_holders_get_the_contact_cards(client: TestClient, session: Session,
                                           record: Any) -> None:
    key, _ = create_key(session, Role.official)
    session.commit()
    response = client.get(f"/v1/authorities/{record.id}.vcf",
                          headers={"Authorization": f"Bearer {key}"})
    org, person = cards(response.text)
    assert "tel:+5561999990000" in {t.value for t in org.contents["tel"]}
    assert "cell" in next(types_of(t) for t in org.contents["tel"]
                          if t.value == "tel:+5561999990000")
    assert person.kind.value == "individual" and person.fn.value == "Duty officer"
    assert person.related.value == f"urn:uuid:{record.id}"
    assert [e.value for e in person.contents["email"]] == ["duty@drci.example.org"]
    # The public and full cards never share a validator.
    public = client.get(f"/v1/authorities/{record.id}.vcf")
    assert public.headers["etag"] != response.headers["etag"]


def test_accept_header_negotiates_the_card(client: TestClient, record: Any) -> None:
    url = f"/v1/authorities/{record.id}"
    card = client.get(url, headers={"Accept": "text/vcard"})
    assert card.headers["content-type"].startswith("text/vcard")
    assert card.text == client.get(f"{url}.vcf").text
    assert "Accept" in card.headers["vary"]
    as_json = client.get(url, headers={"Accept": "application/json, text/vcard;q=0.5"})
    assert as_json.headers["content-type"] == "application/json"
    assert "Accept" in as_json.headers["vary"]
    browser = client.get(url, headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.headers["content-type"] == "application/json"
    assert card.headers["etag"] != as_json.headers["etag"]
    again = client.get(url, headers={"Accept": "text/vcard", "If-None-Match": card.headers["etag"]})
    assert again.status_code == 304


def test_language_preference_orders_the_names(client: TestClient, record: Any) -> None:
    [card] = cards(client.get(f"/v1/authorities/{record.id}.vcf",
                              headers={"Accept-Language": "pt-BR"}).text)
    names = card.contents["fn"]
    assert names[0].value.startswith("Departamento de Recuperação")
    assert names[0].params["PREF"] == ["1"] and names[0].params["LANGUAGE"] == ["pt"]
    assert {n.params["ALTID"][0] for n in names} == {"1"}
    assert card.adr.value.country == "Brasil"


def test_unknown_authority_is_problem_json(client: TestClient) -> None:
    response = client.get("/v1/authorities/00000000-0000-0000-0000-000000000000.vcf")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/authorities/not-a-uuid.vcf").status_code == 422


def test_escaping_and_folding_rules() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = fold("NOTE:" + "é" * 100)
    physical = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join(p.removeprefix(" ") if i else p for i, p in enumerate(physical)) == \
        "NOTE:" + "é" * 100
