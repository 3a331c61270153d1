"""Regional networks: reference data with sources, served at /v1/networks and on countries."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.networks.service import seed_networks, shared_networks
from app.reference.data import ReferenceData

NETWORKS_FILE = Path(__file__).resolve().parents[1] / "seed_data/reference/networks.json"


def test_seed_file_is_sound(reference: ReferenceData) -> None:
    networks = json.loads(NETWORKS_FILE.read_text(encoding="utf-8"))
    codes = {n["code"] for n in networks}
    assert {"ejn", "iberred", "wacap", "arinsa", "oas_hemispheric"} <= codes
    assert len(codes) == len(networks)
    for n in networks:
        assert n["source"]["url"].startswith("https://"), n["code"]
        assert len(n["source"]["description"]) > 20, n["code"]
        assert n["name"].get("en"), n["code"]
        assert n["members"] and set(n["members"]) <= set(reference.countries), n["code"]
        assert len(set(n["members"])) == len(n["members"]), n["code"]
        assert n["notes"]["en"], "every entry says as of when, or what is uncertain"
    by_code = {n["code"]: n for n in networks}
    assert len(by_code["ejn"]["members"]) == 27 and "GBR" not in by_code["ejn"]["members"]
    assert {"BRA", "ESP", "PRT", "ARG"} <= set(by_code["iberred"]["members"])
    assert "CUB" not in by_code["oas_hemispheric"]["members"]


def test_seeding_is_idempotent_and_follows_the_file(session: Session) -> None:
    before = session.execute(text("select count(*) from network_members")).scalar()
    assert before and before > 100  # seeded with the template
    seed_networks(session)
    seed_networks(session)
    session.commit()
    assert session.execute(text("select count(*) from network_members")).scalar() == before
    # A member that is not in the file is removed by the next seed.
    session.execute(text("insert into network_members values ('ejn', 'GBR')"))
    seed_networks(session)
    session.commit()
    assert session.execute(text(
        "select count(*) from network_members where network_code = 'ejn' and country = 'GBR'"
    )).scalar() == 0


def test_shared_networks(session: Session) -> None:
    assert [n.code for n in shared_networks(session, "FRA", "ESP")] == ["ejn"]
    assert {n.code for n in shared_networks(session, "BRA", "ARG")} >= {"iberred",
                                                                       "oas_hemispheric"}
    assert shared_networks(session, "FRA", "BRA") == []


def test_list_and_filter_networks(client: TestClient) -> None:
    response = client.get("/v1/networks")
    assert response.status_code == 200 and response.headers["etag"]
    items = {n["code"]: n for n in response.json()["items"]}
    assert items["ejn"]["acronym"] == "EJN" and "FRA" in items["ejn"]["members"]
    assert items["ejn"]["source"]["url"]
    only_br = client.get("/v1/networks?country=br").json()["items"]
    assert {"iberred", "oas_hemispheric", "cplp_judicial"} <= {n["code"] for n in only_br}
    assert all("BRA" in n["members"] for n in only_br)
    bad = client.get("/v1/networks?country=XX")
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/query/country"


def test_network_names_follow_accept_language(client: TestClient) -> None:
    es = client.get("/v1/networks/iberred", headers={"Accept-Language": "es"}).json()
    assert es["name"] == "Red Iberoamericana de Cooperación Jurídica Internacional"
    assert es["name_lang"] == "es"
    fr = client.get("/v1/networks/ejn?lang=fr").json()
    assert fr["name"] == "Réseau judiciaire européen en matière pénale"
    missing = client.get("/v1/networks/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_country_page_lists_its_networks(client: TestClient) -> None:
    fra = client.get("/v1/countries/FRA").json()
    assert [n["code"] for n in fra["networks"]] == ["ejn"]
    assert "members" not in fra["networks"][0]
    assert client.get("/v1/countries/ATA").json()["networks"] == []
