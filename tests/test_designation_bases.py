"""Issue 15: every designation basis cited, resolutions as a basis, INTERPOL request kinds,
the new designation type through import, search, route card, vCard and export, and the
interchange format 1.0 still importing unchanged."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.schemas import RecordInvalid, validate_record
from app.authorities.transfer import import_records, parse_records
from app.reference.data import FORMAT_VERSION, ReferenceData, read_json
from app.reference.models import Article, Instrument
from app.reference.service import invalidate_reference_cache
from tests.conftest import TEST_ACTOR, make_record, store
from tests.search_support import use_engine

ROOT = Path(__file__).resolve().parents[1]
DEMO_EXTRA = ROOT / "seed_data" / "demo" / "designation_bases.ndjson"
UN_LANGUAGES = {"ar", "zh", "en", "fr", "ru", "es"}
NEW_TYPE = "organized_crime_prevention"


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


def prevention(**overrides: Any) -> dict[str, Any]:
    designation: dict[str, Any] = {
        "type": NEW_TYPE, "instrument": "untoc", "article": "31(6)", "territory": [],
        "languages": ["pt", "en"], "channels": ["central_authority"], "means": ["email"],
    }
    designation.update(overrides)
    return designation


def _errors(data: dict[str, Any], reference: ReferenceData) -> list[tuple[str, str]]:
    with pytest.raises(RecordInvalid) as caught:
        validate_record(data, reference)
    return [(e.pointer, e.message) for e in caught.value.errors]


# ----------------------------------------------------------------- the reference table


def test_every_reference_row_cites_its_source_with_a_url_and_a_quotation() -> None:
    instruments = read_json("instruments.json")
    rows = [(i, a) for i in instruments for a in i["articles"]]
    assert len(rows) >= 12
    for instrument, article in rows:
        where = f"{instrument['code']} {article['article']}"
        assert instrument["kind"] in {"convention", "protocol", "resolution"}, where
        source = article.get("source")
        assert source, f"{where} has no source"
        assert re.match(r"^https://\S+$", source["url"]), where
        assert len(source["quote"].split()) >= 8, f"{where}: quote the clause itself"
        # The quoted clause is the row's article or one of its paragraphs: 16 -> 16(5)(a).
        assert (source["clause"] == article["article"]
                or source["clause"].startswith(article["article"] + "(")), where
        assert set(article["title"]) >= UN_LANGUAGES, where
        interpol = article.get("interpol")
        if interpol:
            assert "International Criminal Police Organization" in source["quote"] + \
                interpol["quote"] or "International Criminal Police" in interpol["quote"]
            assert set(interpol["requests"]) <= {"all", "urgent", "advance_copy",
                                                 "provisional_arrest"}
    types = {t["code"]: t for t in read_json("designation_types.json")}
    for _, article in rows:
        assert set(types[article["type"]]["names"]) >= UN_LANGUAGES, article["type"]
        assert set(types[article["type"]]["synonyms"]) >= UN_LANGUAGES, article["type"]


def test_untoc_31_6_is_the_prevention_row() -> None:
    [untoc] = [i for i in read_json("instruments.json") if i["code"] == "untoc"]
    [row] = [a for a in untoc["articles"] if a["article"] == "31(6)"]
    assert row["type"] == NEW_TYPE
    assert "prevent transnational organized crime" in row["source"]["quote"]


def test_instruments_route_shows_format_version_kinds_and_sources(client: TestClient) -> None:
    body = client.get("/v1/instruments").json()
    assert body["format_version"] == FORMAT_VERSION == "1.1"
    by_code = {i["code"]: i for i in body["items"]}
    assert by_code["untoc"]["kind"] == "convention"
    assert by_code["smuggling_protocol"]["kind"] == "protocol"
    articles = {a["article"]: a for a in by_code["untoc"]["articles"]}
    assert articles["31(6)"]["type"] == NEW_TYPE
    assert articles["31(6)"]["type_name"] == "Prevention of transnational organized crime"
    assert articles["31(6)"]["source"]["url"].startswith("https://")
    assert articles["18(13)"]["interpol"]["requests"] == ["urgent"]
    assert articles["17"]["interpol"] is None
    french = client.get("/v1/instruments", headers={"Accept-Language": "fr"}).json()
    untoc_fr = next(i for i in french["items"] if i["code"] == "untoc")
    row_fr = next(a for a in untoc_fr["articles"] if a["article"] == "31(6)")
    assert row_fr["type_name"] == "Prévention de la criminalité transnationale organisée"


# ------------------------------------------------------------------------- bad input


def test_unknown_basis_and_mismatched_article_are_field_errors(reference: ReferenceData
                                                               ) -> None:
    unknown = make_record(designations=[prevention(instrument="cosp_resolution_99_9")])
    assert ("/designations/0/instrument",
            "unknown instrument or resolution 'cosp_resolution_99_9'") in _errors(unknown,
                                                                                 reference)
    wrong_article = make_record(designations=[prevention(instrument="uncac")])
    assert [p for p, _ in _errors(wrong_article, reference)] == ["/designations/0/article"]
    wrong_type = make_record(designations=[prevention(article="18(13)")])
    assert _errors(wrong_type, reference) == [
        ("/designations/0/type", "article 18(13) of untoc is for mutual_legal_assistance, "
                                 f"not {NEW_TYPE}")]


def test_bad_basis_is_the_same_422_through_the_api(client: TestClient,
                                                   admin: dict[str, str]) -> None:
    response = client.post("/v1/authorities", headers=admin, json=make_record(
        designations=[prevention(article="31(7)")]))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == ["/designations/0/article"]


@pytest.mark.parametrize(("value", "pointer"), [
    (["by_carrier_pigeon"], "/designations/0/requirements/interpol_requests/0"),
    (["urgent", "urgent"], "/designations/0/requirements/interpol_requests"),
    ("urgent", "/designations/0/requirements/interpol_requests"),
])
def test_interpol_requests_are_checked(reference: ReferenceData, value: Any,
                                       pointer: str) -> None:
    record = make_record()
    record["designations"][0]["requirements"]["interpol_requests"] = value
    assert pointer in [p for p, _ in _errors(record, reference)]


# ------------------------------------------------------------- a resolution as a basis


@pytest.fixture
def resolution(session: Session) -> Iterator[str]:
    """A test-only resolution row (not published reference data): paragraph 4 of a
    fictional Conference decision designates corruption prevention authorities."""
    session.add(Instrument(code="test_cosp_resolution", names={"en": "Test resolution"},
                           short_names={"en": "Test resolution"}))
    session.flush()
    session.add(Article(instrument_code="test_cosp_resolution", article="4",
                        type_code="corruption_prevention", title={"en": "Paragraph 4"}))
    session.commit()
    invalidate_reference_cache()
    yield "test_cosp_resolution"
    invalidate_reference_cache()


def test_a_designation_may_rest_on_a_resolution_paragraph(
        client: TestClient, admin: dict[str, str], resolution: str) -> None:
    designation = {"type": "corruption_prevention", "instrument": resolution, "article": "4",
                   "territory": [], "languages": ["pt"], "channels": ["central_authority"],
                   "means": ["email"]}
    created = client.post("/v1/authorities", headers=admin,
                          json=make_record(designations=[designation]))
    assert created.status_code == 201, created.text
    [stored] = created.json()["designations"]
    assert (stored["instrument"], stored["article"]) == (resolution, "4")
    wrong = client.post("/v1/authorities", headers=admin, json=make_record(
        ref="BRA-OTHER", designations=[{**designation, "article": "5"}]))
    assert wrong.status_code == 422
    assert [e["pointer"] for e in wrong.json()["errors"]] == ["/designations/0/article"]
    other_type = client.post("/v1/authorities", headers=admin, json=make_record(
        ref="BRA-OTHER", designations=[{**designation, "type": "extradition"}]))
    assert [e["pointer"] for e in other_type.json()["errors"]] == ["/designations/0/type"]


# ------------------------------------------------------------------ backward compatible


def test_a_format_1_0_record_imports_unchanged(client: TestClient, session: Session,
                                               reference: ReferenceData,
                                               admin: dict[str, str]) -> None:
    old = json.loads((ROOT / "seed_data" / "demo" / "authorities.ndjson")
                     .read_text("utf-8").splitlines()[0])
    assert all("interpol_requests" not in d["requirements"] for d in old["designations"])
    report = import_records(session, parse_records(json.dumps(old)), reference, TEST_ACTOR)
    session.commit()
    assert report.ok and report.counts["created"] == 1, report.as_dict()
    read = client.get(f"/v1/authorities/{old['id']}").json()
    for sent, got in zip(old["designations"], read["designations"], strict=True):
        assert got["requirements"] == {**dict.fromkeys(["notes"]), **sent["requirements"],
                                       "interpol_requests": None}
        assert {k: v for k, v in got.items() if k != "requirements"} == {
            k: v for k, v in sent.items() if k != "requirements"}
    # The same 1.0 line again, and the 1.1 export of it: nothing changes.
    again = import_records(session, parse_records(json.dumps(old)), reference, TEST_ACTOR)
    exported = client.get("/v1/export", headers=admin).text  # the full view
    round_trip = import_records(session, parse_records(exported), reference, TEST_ACTOR)
    session.commit()
    assert again.counts["unchanged"] == 1 and round_trip.counts["unchanged"] == 1
    assert read["version"] == 1


# ------------------------------------------ the new type everywhere, INTERPOL request kinds


@pytest.fixture
def demo_extra(session: Session, reference: ReferenceData) -> dict[str, Any]:
    report = import_records(session, parse_records(DEMO_EXTRA.read_text("utf-8")), reference,
                            TEST_ACTOR)
    session.commit()
    assert report.ok and report.counts["created"] == 3, report.as_dict()
    records = [json.loads(line) for line in DEMO_EXTRA.read_text("utf-8").splitlines()]
    assert all(r["ref"].startswith("DEMO-") and r["notes"]["en"].startswith(
        "DEMO DATA — fictional record.") for r in records)
    return {r["ref"]: r for r in records}


@pytest.mark.parametrize("engine", [None, "postgres"])
def test_new_type_is_found_by_search(client: TestClient, demo_extra: dict[str, Any],
                                     engine: str | None) -> None:
    with use_engine(client, engine):
        by_type = client.get("/v1/search", params={"type": NEW_TYPE})
        assert by_type.status_code == 200, by_type.text
        body = by_type.json()
        assert {h["record"]["country"] for h in body["hits"]} == {"KEN", "FRA", "CHL"}
        assert body["facets"]["type"][NEW_TYPE] == 3
        # the type's own words find it too (synonyms in designation_types.json)
        words = client.get("/v1/search", params={"q": "organized crime prevention"}).json()
        assert {"KEN", "FRA", "CHL"} <= {h["record"]["country"] for h in words["hits"]}


def test_new_type_and_interpol_requests_on_the_route_card(
        client: TestClient, demo_extra: dict[str, Any]) -> None:
    card = client.get("/v1/route", params={"from": "BRA", "to": "CHL", "type": NEW_TYPE})
    assert card.status_code == 200, card.text
    [authority] = card.json()["authorities"]
    [designation] = authority["designations"]
    assert designation["type"] == {"code": NEW_TYPE,
                                   "name": "Prevention of transnational organized crime"}
    assert designation["article"] == "31(6)"
    assert designation["requirements"]["interpol_requests"] == []
    mla = client.get("/v1/route", params={"from": "BRA", "to": "CHL",
                                          "type": "mutual_legal_assistance"}).json()
    requirements = mla["authorities"][0]["designations"][0]["requirements"]
    assert requirements["interpol_requests"] == ["urgent", "advance_copy"]
    kenya = client.get("/v1/route", params={"from": "FRA", "to": "KE", "type": NEW_TYPE},
                       headers={"Accept-Language": "ru"}).json()
    assert kenya["authorities"][0]["designations"][0]["type"]["name"] == (
        "Предупреждение транснациональной организованной преступности")
    assert kenya["authorities"][0]["designations"][0]["requirements"][
        "interpol_requests"] is None


def test_new_type_in_vcard_categories_and_exports(client: TestClient,
                                                  demo_extra: dict[str, Any]) -> None:
    hits = client.get("/v1/search", params={"type": NEW_TYPE, "country": "CHL"}).json()
    chile = hits["hits"][0]["record"]["id"]
    card = client.get(f"/v1/authorities/{chile}.vcf").text
    assert f"CATEGORIES:mutual_legal_assistance,{NEW_TYPE}" in card.splitlines()
    export = client.get("/v1/export")
    assert export.status_code == 200
    assert export.headers["CNA-Format-Version"] == FORMAT_VERSION
    records = [json.loads(line) for line in export.text.splitlines()]
    exported = next(r for r in records if r["ref"] == "DEMO-CHL-UCIP")
    assert [d["type"] for d in exported["designations"]] == ["mutual_legal_assistance",
                                                             NEW_TYPE]
    assert exported["designations"][0]["requirements"]["interpol_requests"] == [
        "urgent", "advance_copy"]
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/export",
                                                      params={"format": "csv"}).text)))
    chile_rows = [r for r in rows if r["ref"] == "DEMO-CHL-UCIP"]
    assert [(r["type"], r["article"], r["interpol_requests"]) for r in chile_rows] == [
        ("mutual_legal_assistance", "46(13)", "urgent advance_copy"),
        (NEW_TYPE, "31(6)", "")]


def test_web_search_filter_offers_the_new_type(client: TestClient,
                                               demo_extra: dict[str, Any]) -> None:
    page = client.get("/", params={"type": NEW_TYPE})
    assert page.status_code == 200
    assert f'value="{NEW_TYPE}"' in page.text
    assert "Prevention of transnational organized crime" in page.text


def test_store_keeps_interpol_requests(session: Session, reference: ReferenceData) -> None:
    record = make_record()
    record["designations"][0]["requirements"]["interpol_requests"] = ["provisional_arrest"]
    saved = store(session, reference, record).authority
    assert saved.designations[0].requirements["interpol_requests"] == ["provisional_arrest"]


# ------------------------------------------------------------ asset recovery networks


def test_asset_recovery_networks_cite_a_quoted_membership_source() -> None:
    networks = read_json("networks.json")
    assert {n["purpose"] for n in networks} == {"judicial_cooperation", "asset_recovery"}
    arins = [n for n in networks if n["purpose"] == "asset_recovery"]
    assert [n["code"] for n in arins] == ["arinsa"]
    for network in arins:
        assert network["source"]["url"].startswith("https://"), network["code"]
        assert network["source"]["quote"], network["code"]
        assert network["members_as_of"], network["code"]
    [arinsa] = arins
    assert len(arinsa["members"]) == 15 and {"AGO", "UGA", "MDG"} <= set(arinsa["members"])


def test_a_states_asset_recovery_networks_are_on_its_country_page(client: TestClient
                                                                   ) -> None:
    madagascar = client.get("/v1/countries/MDG").json()
    [arinsa] = [n for n in madagascar["networks"] if n["code"] == "arinsa"]
    assert arinsa["purpose"] == "asset_recovery"
    assert arinsa["source"]["quote"].startswith("The ARINSA network continues to grow")
    france = client.get("/v1/countries/FRA").json()
    assert [n["purpose"] for n in france["networks"]] == ["judicial_cooperation"]
    listed = {n["code"]: n for n in client.get("/v1/networks").json()["items"]}
    assert listed["arinsa"]["purpose"] == "asset_recovery"
    assert listed["ejn"]["purpose"] == "judicial_cooperation"


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "urgent requests, an advance copy (the original follows)"),
    ("ar", "الطلبات العاجلة, نسخة مسبقة (يُرسل الأصل لاحقاً)"),
])
def test_pages_say_which_requests_go_through_interpol(
        client: TestClient, demo_extra: dict[str, Any], lang: str, words: str) -> None:
    route = client.get("/route", params={"from": "BRA", "to": "CHL", "lang": lang,
                                         "type": "mutual_legal_assistance"})
    assert route.status_code == 200
    assert f'data-interpol-requests="urgent advance_copy">{words}</dd>' in route.text
    hits = client.get("/v1/search", params={"country": "CHL", "type": NEW_TYPE}).json()
    page = client.get(f"/authorities/{hits['hits'][0]['record']['id']}", params={"lang": lang})
    assert page.status_code == 200
    assert f'data-interpol-requests="urgent advance_copy">{words}</dd>' in page.text
    none_said = "لا شيء" if lang == "ar" else "none"
    assert f'data-interpol-requests="">{none_said}</dd>' in page.text  # the 31(6) one: []


# ------------------------------------------------------------------- the record form


@pytest.mark.parametrize("value", [["urgent", "advance_copy"], [], None])
def test_the_record_form_keeps_interpol_requests(client: TestClient, session: Session,
                                                 reference: ReferenceData,
                                                 value: list[str] | None) -> None:
    from app.authorities.documents import content_of, render
    from app.authorities.models import Authority
    from tests.test_record_form import _post, form_fields, signed_in

    record = make_record()
    record["designations"][0]["requirements"]["interpol_requests"] = value
    bra = store(session, reference, record).authority
    signed_in(client, session, Role.secretariat)
    page = client.get(f"/authorities/{bra.id}/edit", params={"lang": "fr"})
    assert page.status_code == 200, page.text
    assert "Demandes par INTERPOL" in page.text
    ticked = [v for n, v in form_fields(page.text)
              if n == "designations/0/requirements/interpol_requests"]
    assert ticked == (["none"] if value == [] else (value or []))
    response = _post(client, f"/authorities/{bra.id}/edit", form_fields(page.text))
    assert response.status_code == 303, response.text
    session.expire_all()
    stored = session.get(Authority, bra.id)
    assert stored is not None and stored.version == 1, "the form changed nothing"
    assert content_of(render(stored))["designations"][0]["requirements"][
        "interpol_requests"] == value


def test_the_record_form_sets_and_refuses_interpol_requests(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    from tests.test_record_form import _error_beside, _post, form_fields, signed_in

    bra = store(session, reference, make_record()).authority
    signed_in(client, session, Role.secretariat)
    fields = form_fields(client.get(f"/authorities/{bra.id}/edit").text)
    name = "designations/0/requirements/interpol_requests"
    bad = _post(client, f"/authorities/{bra.id}/edit",
                [*fields, (name, "urgent"), (name, "none")])
    assert bad.status_code == 422
    assert _error_beside(bad.text, name)
    ticked = [v for n, v in form_fields(bad.text) if n == name]
    assert ticked == ["urgent", "none"], "the form keeps what was ticked"
    good = _post(client, f"/authorities/{bra.id}/edit",
                 [*fields, (name, "provisional_arrest")])
    assert good.status_code == 303, good.text
    card = client.get(f"/v1/authorities/{bra.id}").json()
    assert card["designations"][0]["requirements"]["interpol_requests"] == [
        "provisional_arrest"]


def test_cna_seed_demo_loads_the_hand_written_records_too(session: Session) -> None:
    from sqlalchemy import func
    from sqlmodel import col, select

    from app.authorities.models import Authority
    from app.cli.database_commands import DEMO_FILE, load_seed_data

    load_seed_data(demo=True)
    generated = len(DEMO_FILE.read_text("utf-8").splitlines())
    assert session.scalar(select(func.count()).select_from(Authority)) == generated + 3
    refs = set(session.scalars(select(col(Authority.ref)).where(
        col(Authority.ref).in_(["DEMO-KEN-OCPU", "DEMO-FRA-MPCO", "DEMO-CHL-UCIP"]))))
    assert refs == {"DEMO-KEN-OCPU", "DEMO-FRA-MPCO", "DEMO-CHL-UCIP"}
