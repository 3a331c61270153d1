"""GET /v1/route: the route card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.reference.data import ReferenceData
from app.routecard.router import current_time
from app.routecard.service import office_status
from tests.conftest import make_record, store

MONDAY_10_IN_BRASILIA = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)  # 10:00 in São Paulo


def extradition(**overrides: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "type": "extradition", "instrument": "untoc", "article": "16", "territory": [],
        "languages": ["pt", "en"], "channels": ["diplomatic"], "means": ["post"],
        "urgent": {"channels": ["interpol"], "means": ["email"],
                   "notes": {"en": "Provisional arrest through INTERPOL.",
                             "fr": "Arrestation provisoire par INTERPOL."}},
        "requirements": {"legal_basis_convention": True, "dual_criminality": "required",
                         "notes": {"en": "A certified copy of the warrant.",
                                   "es": "Copia certificada de la orden."}},
    }
    d.update(overrides)
    return d


@pytest.fixture
def records(session: Session, reference: ReferenceData) -> dict[str, Any]:
    national = store(session, reference, make_record(designations=[
        extradition(),
        {"type": "mutual_legal_assistance", "instrument": "untoc", "article": "18(13)",
         "territory": [], "languages": ["pt", "en", "es"], "channels": ["central_authority"],
         "means": ["email"]},
    ])).authority
    sao_paulo = store(session, reference, make_record(
        ref="BRA-SP", acronym="PRSP", name={"pt": "Procuradoria Regional de São Paulo"},
        contacts=[], phones=[], emails=[], address=None,
        designations=[extradition(territory=["BR-SP"], languages=["pt"])],
    )).authority
    return {"national": national, "sao_paulo": sao_paulo}


@pytest.fixture
def fixed_clock(client: TestClient) -> Iterator[None]:
    client.app.dependency_overrides[current_time] = (  # type: ignore[attr-defined]
        lambda: MONDAY_10_IN_BRASILIA)
    yield
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def test_route_card_answers_the_five_questions(client: TestClient, records: dict[str, Any],
                                               fixed_clock: None) -> None:
    response = client.get("/v1/route?from=FRA&to=BRA&type=extradition")
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["from"]["code"] == "FRA" and card["to"]["code"] == "BRA"
    assert card["at"] == "2026-06-01T13:00:00Z"
    assert card["authorities"][0]["id"] == str(records["national"].id)
    authority = card["authorities"][0]
    [designation] = authority["designations"]  # the MLA designation is not listed
    assert designation["instrument"]["code"] == "untoc" and designation["article"] == "16"
    languages = designation["languages"]
    assert [x["code"] for x in languages["requesting_state_official"]] == ["fr"]
    assert languages["translation_needed"] is True
    assert [x["code"] for x in languages["translate_into"]] == ["pt", "en"]
    assert languages["accepted"][0] == {"code": "pt", "name": "Portuguese"}
    assert designation["channels"]["normal"] == {"channels": ["diplomatic"], "means": ["post"]}
    assert designation["channels"]["urgent"]["channels"] == ["interpol"]
    assert designation["channels"]["urgent"]["notes"] == "Provisional arrest through INTERPOL."
    assert designation["requirements"]["dual_criminality"] == "required"
    hours = authority["office_hours"]
    assert hours["time_zone"] == "America/Sao_Paulo"
    assert hours["local_time"] == "2026-06-01T10:00-03:00"
    assert hours["open_now"] is True and hours["closes_at"] == "2026-06-01T18:00-03:00"
    assert card["shared_networks"] == []


def test_no_translation_when_an_official_language_is_accepted(
        client: TestClient, records: dict[str, Any]) -> None:
    card = client.get("/v1/route?from=PRT&to=BRA&type=extradition").json()
    languages = card["authorities"][0]["designations"][0]["languages"]
    assert languages["translation_needed"] is False
    assert [x["code"] for x in languages["official_accepted"]] == ["pt"]
    assert languages["translate_into"] == []
    # Portugal and Brazil share networks; the card says so.
    assert {"iberred", "cplp_judicial"} <= {n["code"] for n in card["shared_networks"]}


def test_closed_at_night_with_next_opening(client: TestClient, records: dict[str, Any]) -> None:
    card = client.get("/v1/route", params={"from": "FRA", "to": "BRA", "type": "extradition",
                                           "at": "2026-06-05T22:30:00Z"}).json()  # a Friday
    hours = card["authorities"][0]["office_hours"]
    assert hours["local_time"] == "2026-06-05T19:30-03:00"
    assert hours["open_now"] is False
    assert hours["next_opening"] == "2026-06-08T09:00-03:00"  # Monday


def test_office_status_across_a_dst_change() -> None:
    hours = [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "17:00"}]
    # 29 March 2026: Paris goes to UTC+2.  08:30 UTC on Monday 30 March is 10:30 in Paris.
    status = office_status(hours, "Europe/Paris", datetime(2026, 3, 30, 8, 30, tzinfo=UTC))
    assert status["open_now"] is True and status["local_time"].endswith("+02:00")
    winter = office_status(hours, "Europe/Paris", datetime(2026, 3, 27, 7, 30, tzinfo=UTC))
    assert winter["open_now"] is False and winter["next_opening"] == "2026-03-27T09:00+01:00"
    assert office_status([], "Europe/Paris", datetime.now(UTC))["open_now"] is None
    assert office_status(hours, None, datetime.now(UTC))["open_now"] is None


def test_accept_language_picks_every_field_it_can(client: TestClient,
                                                  records: dict[str, Any]) -> None:
    fr = client.get("/v1/route?from=FRA&to=BRA&type=extradition",
                    headers={"Accept-Language": "fr"}).json()
    assert fr["to"]["name"] == "Brésil" and fr["type"]["name"] == "Extradition"
    designation = fr["authorities"][0]["designations"][0]
    assert designation["channels"]["urgent"]["notes"] == "Arrestation provisoire par INTERPOL."
    assert designation["languages"]["accepted"][0]["name"] == "portugais"
    # No French requirement note in the data: the card falls back to what there is.
    assert designation["requirements"]["notes"] == "A certified copy of the warrant."
    es = client.get("/v1/route?from=FRA&to=BRA&type=extradition",
                    headers={"Accept-Language": "es"}).json()
    assert es["authorities"][0]["designations"][0]["requirements"]["notes"] == \
        "Copia certificada de la orden."
    zh = client.get("/v1/route?from=FRA&to=BRA&type=extradition&lang=zh").json()
    assert zh["to"]["name"] == "巴西" and zh["type"]["name"] == "引渡"
    assert zh["authorities"][0]["designations"][0]["instrument"]["short_name"] != \
        fr["authorities"][0]["designations"][0]["instrument"]["short_name"]


def test_region_respects_territory_limits(client: TestClient,
                                          records: dict[str, Any]) -> None:
    national, sao_paulo = str(records["national"].id), str(records["sao_paulo"].id)
    everywhere = client.get("/v1/route?from=FRA&to=BRA&type=extradition").json()
    # Without a region, the whole-State authority comes first, the limited one after.
    assert [a["id"] for a in everywhere["authorities"]] == [national, sao_paulo]
    assert everywhere["authorities"][1]["designations"][0]["territory"] == ["BR-SP"]
    sp = client.get("/v1/route?from=FRA&to=BRA&type=extradition&region=br-sp").json()
    assert sp["region"] == "BR-SP"
    assert [a["id"] for a in sp["authorities"]] == [sao_paulo, national]
    assert sp["authorities"][0]["designations"][0]["territory"] == ["BR-SP"]
    rj = client.get("/v1/route?from=FRA&to=BRA&type=extradition&region=BR-RJ").json()
    assert [a["id"] for a in rj["authorities"]] == [national]
    wrong = client.get("/v1/route?from=FRA&to=BRA&type=extradition&region=FR-75")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["pointer"] == "/query/region"


def test_nothing_designated_is_404_with_alternatives(client: TestClient,
                                                     records: dict[str, Any]) -> None:
    response = client.get("/v1/route?from=FRA&to=BRA&type=transfer_of_sentenced_persons")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 404 and "Brazil" in problem["detail"]
    [alternative] = problem["alternatives"]
    assert alternative["reason"] == "mla_central_authority"
    assert alternative["authority"]["id"] == str(records["national"].id)
    assert alternative["route"].startswith("/v1/route?from=FRA&to=BRA&type=mutual_legal")
    assert client.get(alternative["route"]).status_code == 200

    other = client.get("/v1/route?from=FRA&to=BRA&type=extradition&instrument=uncac").json()
    reasons = {(a["reason"], a["instrument"]) for a in other["alternatives"]}
    assert ("same_type_other_instrument", "untoc") in reasons
    assert ("mla_central_authority", "untoc") in reasons


def test_unknown_inputs_are_422(client: TestClient) -> None:
    response = client.get("/v1/route?from=XXX&to=BRA&type=teleportation")
    assert response.status_code == 422
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert "/query/from" in pointers
    missing = client.get("/v1/route?from=FRA")
    assert missing.status_code == 422
    assert {e["pointer"] for e in missing.json()["errors"]} == {"/query/to", "/query/type"}


def test_public_view_is_redacted_and_keys_see_more(client: TestClient, session: Session,
                                                   records: dict[str, Any]) -> None:
    anonymous = client.get("/v1/route?from=FRA&to=BRA&type=extradition").json()
    card = anonymous["authorities"][0]
    assert "contacts" not in card
    assert [p["label"] for p in card["phones"]] == ["Switchboard"]
    assert "internal@drci.example.org" not in str(anonymous)
    key, _ = create_key(session, Role.official)
    fra_only, _ = create_key(session, Role.network, countries=["FRA"])
    session.commit()
    full = client.get("/v1/route?from=FRA&to=BRA&type=extradition",
                      headers={"Authorization": f"Bearer {key}"}).json()["authorities"][0]
    assert full["contacts"][0]["name"] == "Duty officer"
    assert {p["label"] for p in full["phones"]} == {"Switchboard", "Night desk"}
    scoped = client.get("/v1/route?from=FRA&to=BRA&type=extradition",
                        headers={"Authorization": f"Bearer {fra_only}"})
    assert scoped.status_code == 404 and scoped.json()["alternatives"] == []
