"""Read API: countries, instruments, authority lists and records, paging, ETags,
redaction of restricted data for anonymous callers, problem+json errors, health."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.reference.data import ReferenceData
from tests.conftest import make_record, store

PROBLEM = "application/problem+json"

# What make_record() holds that an anonymous caller must never see.
SECRETS = (
    "Duty officer",              # contact name
    "duty@drci.example.org",     # contact e-mail
    "+556120253002",             # contact phone (E.164)
    "2025-3002",                 # contact phone (as submitted)
    "+556120253009",             # restricted phone (E.164)
    "2025-3009",                 # restricted phone (as submitted)
    "internal@drci.example.org", # restricted e-mail
    "Night desk",                # label of the restricted phone
)
PUBLIC_PHONE = "+556120253000"
PUBLIC_EMAIL = "mla@drci.example.org"

RECORD_KEYS = [
    "id", "ref", "country", "kind", "name", "acronym", "parent", "address", "phones",
    "emails", "website", "time_zone", "office_hours", "designations", "notes", "verified_on",
    "status", "version", "updated_at",
]


# --------------------------------------------------------------------------- helpers


def desig(type_: str, instrument: str, article: str, languages: list[str],
          channels: list[str]) -> dict[str, Any]:
    return {"type": type_, "instrument": instrument, "article": article,
            "languages": languages, "channels": channels}


def minimal(country: str, ref: str, *designations: dict[str, Any],
            kind: str = "central_authority", status: str = "active",
            **overrides: Any) -> dict[str, Any]:
    """A record of any country: make_record() without the Brazilian phones and contacts."""
    fields: dict[str, Any] = {
        "ref": ref, "country": country, "kind": kind, "status": status,
        "name": {"en": f"Authority {ref}"}, "acronym": None, "parent": None, "address": None,
        "phones": [], "emails": [], "website": None, "time_zone": None, "office_hours": [],
        "contacts": [], "notes": None, "designations": list(designations),
    }
    fields.update(overrides)
    return make_record(**fields)


def save(session: Session, reference: ReferenceData, data: dict[str, Any]) -> str:
    return str(store(session, reference, data).authority.id)


def assert_problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    return body


def pointers(body: dict[str, Any]) -> list[str]:
    return [e["pointer"] for e in body.get("errors", [])]


def ids(client: TestClient, **params: Any) -> set[str]:
    resp = client.get("/v1/authorities", params={"limit": 200, **params})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["next_cursor"] is None
    found = [item["id"] for item in body["items"]]
    assert len(found) == len(set(found))
    return set(found)


def cursor_of(payload: Any) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def dataset(session: Session, reference: ReferenceData) -> dict[str, str]:
    """Six records across four countries with distinct designations."""
    return {
        # BRA, central authority: MLA under UNTOC in pt/en/es, central authority + diplomatic
        "bra_mla": save(session, reference, make_record()),
        "bra_ext": save(session, reference, minimal(
            "BRA", "BRA-EXT", desig("extradition", "untoc", "16", ["pt"], ["diplomatic"]),
            kind="competent_authority")),
        # one designation for extradition in French, another for MLA in English
        "fra_split": save(session, reference, minimal(
            "FRA", "FRA-BEPI",
            desig("extradition", "untoc", "16", ["fr"], ["diplomatic"]),
            desig("mutual_legal_assistance", "untoc", "18(13)", ["en"], ["central_authority"]))),
        "deu_prev": save(session, reference, minimal(
            "DEU", "DEU-PREV",
            desig("corruption_prevention", "uncac", "6(3)", ["de"], ["direct_judicial"]),
            kind="focal_point")),
        "deu_mla": save(session, reference, minimal(
            "DEU", "DEU-BFJ",
            desig("mutual_legal_assistance", "uncac", "46(13)", ["de", "en"],
                  ["direct_judicial", "interpol"]),
            kind="competent_authority")),
        "ita_old": save(session, reference, minimal(
            "ITA", "ITA-OLD",
            desig("transfer_of_sentenced_persons", "untoc", "17", ["it"], ["diplomatic"]),
            status="withdrawn")),
    }


# --------------------------------------------------------------------------- countries


def test_countries_lists_all_249(client: TestClient) -> None:
    resp = client.get("/v1/countries")
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert len(items) == 249
    assert len({c["code"] for c in items}) == 249
    bra = next(c for c in items if c["code"] == "BRA")
    assert bra["alpha2"] == "BR"
    assert bra["name"] == "Brazil"
    assert bra["name_lang"] == "en"


def _bra_name(client: TestClient, params: dict[str, str] | None = None,
              headers: dict[str, str] | None = None) -> tuple[str, str]:
    resp = client.get("/v1/countries", params=params or {}, headers=headers or {})
    assert resp.status_code == 200
    bra = next(c for c in resp.json()["items"] if c["code"] == "BRA")
    return bra["name"], bra["name_lang"]


def test_countries_language_selection(client: TestClient) -> None:
    assert _bra_name(client, {"lang": "fr"}) == ("Brésil", "fr")
    assert _bra_name(client, headers={"Accept-Language": "ru"}) == ("Бразилия", "ru")
    assert _bra_name(client, headers={"Accept-Language": "en;q=0.2, ru;q=0.9"}) == (
        "Бразилия", "ru")
    # ?lang= wins over Accept-Language
    assert _bra_name(client, {"lang": "fr"}, {"Accept-Language": "ru"}) == ("Brésil", "fr")
    # an unknown language falls back to English
    assert _bra_name(client, {"lang": "xx"}) == ("Brazil", "en")
    assert _bra_name(client, headers={"Accept-Language": "xx"}) == ("Brazil", "en")


def test_country_by_alpha2_alpha3_any_case(client: TestClient) -> None:
    for code in ("br", "BR", "BRA", "bra", "Bra"):
        resp = client.get(f"/v1/countries/{code}")
        assert resp.status_code == 200, code
        body = resp.json()
        assert body["code"] == "BRA"
        assert body["alpha2"] == "BR"
        assert body["name"] == "Brazil"
    assert client.get("/v1/countries/bra", params={"lang": "fr"}).json()["name"] == "Brésil"


@pytest.mark.parametrize("code", ["XX", "ZZZ", "xq"])
def test_unknown_country_is_404_problem(client: TestClient, code: str) -> None:
    assert_problem(client.get(f"/v1/countries/{code}"), 404)


def test_country_summary_lists_active_authorities_only(
    client: TestClient, session: Session, reference: ReferenceData
) -> None:
    active = save(session, reference, make_record(designations=[
        desig("mutual_legal_assistance", "untoc", "18(13)", ["pt"], ["diplomatic"]),
        desig("extradition", "untoc", "16", ["pt"], ["diplomatic"]),
        desig("mutual_legal_assistance", "uncac", "46(13)", ["pt"], ["diplomatic"]),
    ]))
    save(session, reference, minimal(
        "BRA", "BRA-OLD", desig("transfer_of_sentenced_persons", "untoc", "17", ["pt"], []),
        status="withdrawn"))
    save(session, reference, minimal(
        "FRA", "FRA-X", desig("extradition", "untoc", "16", ["fr"], [])))

    resp = client.get("/v1/countries/BRA")
    assert resp.status_code == 200
    body = resp.json()
    assert [a["id"] for a in body["authorities"]] == [active]
    summary = body["authorities"][0]
    assert summary["types"] == ["extradition", "mutual_legal_assistance"]
    assert summary["acronym"] == "DRCI"
    assert summary["kind"] == "central_authority"
    assert summary["name"] == ("Department of Asset Recovery and International Legal "
                               "Cooperation")
    assert body["types_designated"] == {"extradition": 1, "mutual_legal_assistance": 1}
    assert "contacts" not in body
    assert all("contacts" not in a for a in body["authorities"])
    for secret in SECRETS:
        assert secret not in resp.text
    # names follow the language too
    pt = client.get("/v1/countries/BRA", params={"lang": "pt"}).json()
    assert pt["authorities"][0]["name"].startswith("Departamento de Recuperação")
    assert pt["authorities"][0]["name_lang"] == "pt"


# --------------------------------------------------------------------------- instruments


def test_instruments_with_articles_and_types(client: TestClient) -> None:
    resp = client.get("/v1/instruments")
    assert resp.status_code == 200
    items = {i["code"]: i for i in resp.json()["items"]}
    assert set(items) == {"drugs1988", "untoc", "smuggling_protocol", "firearms_protocol",
                          "uncac"}
    as_map = {code: {a["article"]: a["type"] for a in i["articles"]}
              for code, i in items.items()}
    assert as_map["untoc"] == {"16": "extradition", "17": "transfer_of_sentenced_persons",
                               "18(13)": "mutual_legal_assistance",
                               "31(6)": "organized_crime_prevention"}
    assert as_map["drugs1988"] == {"6": "extradition", "7(8)": "mutual_legal_assistance",
                                   "17(7)": "illicit_traffic_by_sea"}
    assert as_map["uncac"] == {"44": "extradition", "46(13)": "mutual_legal_assistance",
                               "6(3)": "corruption_prevention"}
    assert as_map["smuggling_protocol"] == {"8(6)": "migrant_smuggling_by_sea"}
    assert as_map["firearms_protocol"] == {"13(2)": "firearms_focal_point"}
    untoc = items["untoc"]
    assert untoc["name"] == "United Nations Convention against Transnational Organized Crime"
    assert untoc["short_name"] == "UNTOC"
    assert untoc["adopted"] == "2000-11-15"


def test_instruments_localised(client: TestClient) -> None:
    resp = client.get("/v1/instruments", params={"lang": "es"})
    assert resp.status_code == 200
    untoc = next(i for i in resp.json()["items"] if i["code"] == "untoc")
    assert untoc["name"] == ("Convención de las Naciones Unidas contra la Delincuencia "
                             "Organizada Transnacional")
    assert untoc["name_lang"] == "es"
    assert untoc["short_name"] == "Convención de Palermo"
    art16 = next(a for a in untoc["articles"] if a["article"] == "16")
    assert art16["type_name"] == "Extradición"
    assert art16["title"] == "Extradición"
    ru = client.get("/v1/instruments", headers={"Accept-Language": "ru"}).json()
    assert next(i for i in ru["items"] if i["code"] == "untoc")["short_name"] == (
        "Палермская конвенция")


# --------------------------------------------------------------------------- list filters


def test_filter_status(client: TestClient, dataset: dict[str, str]) -> None:
    active = set(dataset.values()) - {dataset["ita_old"]}
    assert ids(client) == active  # default: active only
    assert ids(client, status="active") == active
    assert ids(client, status="withdrawn") == {dataset["ita_old"]}
    assert ids(client, status="all") == set(dataset.values())


def _check_filters(client: TestClient, dataset: dict[str, str],
                   cases: list[tuple[dict[str, Any], set[str]]]) -> None:
    """Run every case; report all mismatches at once (one database for all of them)."""
    names = {v: k for k, v in dataset.items()}
    mismatches = []
    for params, expected in cases:
        got = {names.get(i, i) for i in ids(client, **params)}
        if got != expected:
            mismatches.append(f"{params}: expected {sorted(expected)}, got {sorted(got)}")
    assert mismatches == []


def test_filter_country(client: TestClient, dataset: dict[str, str]) -> None:
    _check_filters(client, dataset, [
        ({"country": "BRA"}, {"bra_mla", "bra_ext"}),
        ({"country": "br"}, {"bra_mla", "bra_ext"}),
        ({"country": "bra"}, {"bra_mla", "bra_ext"}),
        ({"country": "Br"}, {"bra_mla", "bra_ext"}),
        ({"country": ["fr", "DEU"]}, {"fra_split", "deu_prev", "deu_mla"}),
        ({"country": ["FRA", "fr"]}, {"fra_split"}),
        ({"country": "ITA"}, set()),  # withdrawn only; hidden by the default status
        ({"country": "ARG"}, set()),
    ])


def test_single_filters(client: TestClient, dataset: dict[str, str]) -> None:
    _check_filters(client, dataset, [
        ({"type": "extradition"}, {"bra_ext", "fra_split"}),
        ({"type": "mutual_legal_assistance"}, {"bra_mla", "fra_split", "deu_mla"}),
        ({"type": "firearms_focal_point"}, set()),
        ({"instrument": "uncac"}, {"deu_prev", "deu_mla"}),
        ({"instrument": "untoc"}, {"bra_mla", "bra_ext", "fra_split"}),
        ({"article": "18(13)"}, {"bra_mla", "fra_split"}),
        ({"article": "16"}, {"bra_ext", "fra_split"}),
        ({"article": "6(3)"}, {"deu_prev"}),
        ({"language": "de"}, {"deu_prev", "deu_mla"}),
        ({"language": "en"}, {"bra_mla", "fra_split", "deu_mla"}),
        ({"language": "fr"}, {"fra_split"}),
        ({"language": "zz"}, set()),
        ({"channel": "interpol"}, {"deu_mla"}),
        ({"channel": "diplomatic"}, {"bra_mla", "bra_ext", "fra_split"}),
        ({"channel": "central_authority"}, {"bra_mla", "fra_split"}),
        ({"kind": "focal_point"}, {"deu_prev"}),
        ({"kind": "central_authority"}, {"bra_mla", "fra_split"}),
        ({"kind": "competent_authority"}, {"bra_ext", "deu_mla"}),
    ])


def test_combined_filters(client: TestClient, dataset: dict[str, str]) -> None:
    _check_filters(client, dataset, [
        ({"country": "BRA", "type": "extradition"}, {"bra_ext"}),
        ({"country": ["br", "fr"], "type": "mutual_legal_assistance", "language": "en"},
         {"bra_mla", "fra_split"}),
        ({"type": "mutual_legal_assistance", "language": "en"},
         {"bra_mla", "fra_split", "deu_mla"}),
        ({"type": "mutual_legal_assistance", "channel": "interpol"}, {"deu_mla"}),
        ({"instrument": "untoc", "kind": "central_authority", "country": "FRA"},
         {"fra_split"}),
        ({"instrument": "uncac", "article": "46(13)", "language": "de"}, {"deu_mla"}),
        ({"instrument": "uncac", "article": "18(13)"}, set()),
        ({"type": "extradition", "kind": "competent_authority"}, {"bra_ext"}),
        ({"type": "transfer_of_sentenced_persons"}, set()),
        ({"type": "transfer_of_sentenced_persons", "status": "all"}, {"ita_old"}),
        ({"country": "ITA", "status": "withdrawn", "language": "it"}, {"ita_old"}),
        ({"country": "DEU", "status": "withdrawn"}, set()),
    ])


def test_designation_filters_match_within_one_designation(
    client: TestClient, dataset: dict[str, str]
) -> None:
    # FRA: designation A = extradition / untoc 16 / [fr] / diplomatic,
    #      designation B = MLA / untoc 18(13) / [en] / central_authority
    _check_filters(client, dataset, [
        ({"type": "extradition", "language": "en"}, set()),
        ({"type": "extradition", "language": "fr"}, {"fra_split"}),
        ({"type": "mutual_legal_assistance", "language": "fr"}, set()),
        ({"type": "extradition", "channel": "central_authority"}, set()),
        ({"article": "16", "language": "en"}, set()),
        ({"article": "18(13)", "channel": "diplomatic", "country": "FRA"}, set()),
        ({"article": "18(13)", "channel": "central_authority", "country": "FRA"},
         {"fra_split"}),
    ])


def test_filter_updated_since(
    client: TestClient, session: Session, reference: ReferenceData, dataset: dict[str, str]
) -> None:
    changed = store(session, reference, minimal(
        "BRA", "BRA-EXT", desig("extradition", "untoc", "16", ["pt"], ["diplomatic"]),
        kind="competent_authority", name={"en": "Renamed"}))
    assert changed.authority.version == 2
    record = client.get(f"/v1/authorities/{dataset['bra_ext']}").json()
    since = record["updated_at"]
    assert since.endswith("Z")
    assert ids(client, updated_since=since) == {dataset["bra_ext"]}
    assert ids(client, updated_since="2000-01-01T00:00:00Z") == (
        set(dataset.values()) - {dataset["ita_old"]})
    assert ids(client, updated_since="2000-01-01T00:00:00Z", status="all") == set(
        dataset.values())
    assert ids(client, updated_since="2999-01-01T00:00:00Z", status="all") == set()
    assert ids(client, updated_since=since, country="FRA") == set()
    assert_problem(client.get("/v1/authorities", params={"updated_since": "yesterday"}), 422)


def test_bad_filters_are_422_with_pointer(client: TestClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"country": "XX"}, "/query/country/0"),
        ({"country": ["BRA", "ZZZ"]}, "/query/country/1"),
        ({"country": "BRAZ"}, "/query/country/0"),
        ({"type": "bogus"}, "/query/type"),
        ({"instrument": "bogus"}, "/query/instrument"),
        ({"article": "99(9)"}, "/query/article"),
        ({"kind": "bogus"}, "/query/kind"),
        ({"channel": "pigeon"}, "/query/channel"),
        ({"status": "deleted"}, "/query/status"),
        ({"limit": 0}, "/query/limit"),
        ({"limit": 201}, "/query/limit"),
        ({"limit": "many"}, "/query/limit"),
    ]
    for params, pointer in cases:
        body = assert_problem(client.get("/v1/authorities", params=params), 422)
        assert pointer in pointers(body), params


def test_limits_at_the_bounds_are_accepted(client: TestClient, dataset: dict[str, str]) -> None:
    one = client.get("/v1/authorities", params={"limit": 1})
    assert one.status_code == 200
    assert len(one.json()["items"]) == 1 and one.json()["limit"] == 1
    assert client.get("/v1/authorities", params={"limit": 200}).status_code == 200


# --------------------------------------------------------------------------- paging

PAGING_COUNTRIES = ("BRA", "DEU", "ESP", "FRA", "ITA")


def _paging_records(session: Session, reference: ReferenceData) -> list[tuple[str, str]]:
    """25 active records, five in each country; returns (country, id) pairs."""
    stored = []
    for country in PAGING_COUNTRIES:
        for n in range(5):
            aid = save(session, reference, minimal(
                country, f"{country}-{n}", desig("extradition", "untoc", "16", ["en"], [])))
            stored.append((country, aid))
    return stored


def _page(client: TestClient, url: str, params: dict[str, Any] | None = None
          ) -> tuple[list[dict[str, Any]], str | None, str | None]:
    resp = client.get(url, params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return body["items"], body["next_cursor"], resp.headers.get("link")


def test_paging_visits_every_row_once(
    client: TestClient, session: Session, reference: ReferenceData
) -> None:
    stored = _paging_records(session, reference)
    seen: list[tuple[str, str]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        items, cursor, link = _page(client, "/v1/authorities", params)
        pages += 1
        seen += [(i["country"], i["id"]) for i in items]
        if cursor is None:
            assert link is None
            assert len(items) == 4
            break
        assert len(items) == 7
        assert link is not None and 'rel="next"' in link
        assert "cursor=" + cursor in link
        assert pages < 10
    assert pages == 4
    assert len(seen) == 25 and len(set(seen)) == 25
    assert set(seen) == set(stored)
    assert seen == sorted(seen)  # (country, id) order


def test_paging_by_link_header_keeps_filters(
    client: TestClient, session: Session, reference: ReferenceData
) -> None:
    stored = _paging_records(session, reference)
    save(session, reference, minimal("BRA", "BRA-W", status="withdrawn"))
    wanted = {aid for (country, aid) in stored if country in ("DEU", "FRA")}
    seen: list[str] = []
    items, _, link = _page(client, "/v1/authorities",
                           {"limit": 3, "country": ["DEU", "fr"]})
    seen += [i["id"] for i in items]
    while link:
        assert link.startswith("<") and link.endswith('>; rel="next"')
        items, _, link = _page(client, link[1:link.index(">")])
        seen += [i["id"] for i in items]
    assert len(seen) == len(set(seen)) == 10
    assert set(seen) == wanted


def test_paging_while_rows_are_inserted(
    client: TestClient, session: Session, reference: ReferenceData
) -> None:
    stored = _paging_records(session, reference)
    items, cursor, _ = _page(client, "/v1/authorities", {"limit": 7})
    assert cursor is not None
    first = [(i["country"], i["id"]) for i in items]
    last_country, last_id = first[-1]
    assert last_country == "DEU"  # 5 BRA rows then DEU rows

    before = [
        save(session, reference, minimal("AFG", "AFG-NEW",
                                         desig("extradition", "untoc", "16", ["en"], []))),
        save(session, reference, minimal("BRA", "BRA-NEW",
                                         desig("extradition", "untoc", "16", ["en"], []))),
        save(session, reference, minimal("DEU", "DEU-LOW",
                                         desig("extradition", "untoc", "16", ["en"], []),
                                         id="00000000-0000-4000-8000-000000000000")),
    ]
    after = [
        save(session, reference, minimal("DEU", "DEU-HIGH",
                                         desig("extradition", "untoc", "16", ["en"], []),
                                         id="ffffffff-ffff-4fff-bfff-ffffffffffff")),
        save(session, reference, minimal("FRA", "FRA-NEW",
                                         desig("extradition", "untoc", "16", ["en"], []))),
        save(session, reference, minimal("ZWE", "ZWE-NEW",
                                         desig("extradition", "untoc", "16", ["en"], []))),
    ]
    assert "00000000-0000-4000-8000-000000000000" < last_id < (
        "ffffffff-ffff-4fff-bfff-ffffffffffff")

    rest: list[tuple[str, str]] = []
    while cursor:
        items, cursor, _ = _page(client, "/v1/authorities", {"limit": 7, "cursor": cursor})
        rest += [(i["country"], i["id"]) for i in items]
    everything = first + rest
    rest_ids = [aid for _, aid in rest]
    assert len(everything) == len(set(everything))
    # every row that existed before paging began is seen exactly once
    pre = [aid for _, aid in everything if aid in {a for _, a in stored}]
    assert sorted(pre) == sorted(aid for _, aid in stored)
    # rows inserted behind the cursor are not seen; rows ahead of it are
    assert not set(before) & set(rest_ids)
    assert set(after) <= set(rest_ids)
    assert everything == sorted(everything)


def _cursor_status(client: TestClient, cursor: str) -> str | None:
    """None when the cursor is refused as a 422 problem pointing at ?cursor, else why not."""
    resp = client.get("/v1/authorities", params={"cursor": cursor})
    if resp.status_code != 422 or not resp.headers["content-type"].startswith(PROBLEM):
        return f"{cursor!r}: {resp.status_code} {resp.headers['content-type']}"
    if "/query/cursor" not in pointers(resp.json()):
        return f"{cursor!r}: no /query/cursor pointer"
    return None


SOME_ID = "52a64eb8-c440-4750-909d-fe40c0f46a0c"


def test_malformed_cursor_is_422(client: TestClient) -> None:
    cursors = [
        "not-a-cursor!!",
        "%%%",
        "eyJ",  # truncated base64 of a JSON object
        base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode().rstrip("="),
        cursor_of({"country": "BRA"}),
        cursor_of(["BRA", "not-a-uuid"]),
        cursor_of(["BRA"]),
        cursor_of(["BRA", SOME_ID, "x"]),
        cursor_of("AB"),
        cursor_of(42),
        cursor_of(["BRA", None]),
    ]
    assert [r for c in cursors if (r := _cursor_status(client, c))] == []


def test_cursor_with_wrong_value_types_is_422(client: TestClient) -> None:
    """Well-formed base64 JSON pairs whose values are not a country and a UUID string.

    BUG: decode_cursor only catches ValueError/TypeError, so a non-string id raises
    AttributeError inside uuid.UUID (500), and a NUL in the country reaches PostgreSQL
    (DataError, 500).
    """
    cursors = [
        cursor_of(["BRA", 5]),
        cursor_of(["BRA", ["x"]]),
        cursor_of(["BRA\u0000", SOME_ID]),
    ]
    assert [r for c in cursors if (r := _cursor_status(client, c))] == []


# --------------------------------------------------------------------------- ETags


def test_record_etag_and_304(client: TestClient, session: Session,
                             reference: ReferenceData) -> None:
    aid = save(session, reference, make_record())
    url = f"/v1/authorities/{aid}"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    updated = store(session, reference, make_record(name={"en": "Renamed department"}))
    assert updated.authority.version == 2
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json()["version"] == 2
    assert fresh.json()["name"] == {"en": "Renamed department"}
    new_etag = fresh.headers["etag"]
    assert new_etag != etag
    assert client.get(url, headers={"If-None-Match": new_etag}).status_code == 304


def test_unchanged_save_keeps_etag(client: TestClient, session: Session,
                                   reference: ReferenceData) -> None:
    aid = save(session, reference, make_record())
    etag = client.get(f"/v1/authorities/{aid}").headers["etag"]
    store(session, reference, make_record())  # same content: no new version
    assert client.get(f"/v1/authorities/{aid}",
                      headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("url", ["/v1/authorities", "/v1/countries", "/v1/countries/BRA",
                                 "/v1/instruments"])
def test_lists_carry_etag_and_honour_if_none_match(
    client: TestClient, session: Session, reference: ReferenceData, url: str
) -> None:
    save(session, reference, make_record())
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    if url != "/v1/authorities":
        # a different language is a different representation
        other = client.get(url, params={"lang": "zh"}, headers={"If-None-Match": etag})
        assert other.status_code == 200
        assert other.headers["etag"] != etag


def test_list_etag_changes_with_content(
    client: TestClient, session: Session, reference: ReferenceData
) -> None:
    save(session, reference, make_record())
    etag = client.get("/v1/authorities").headers["etag"]
    save(session, reference, minimal("FRA", "FRA-1",
                                     desig("extradition", "untoc", "16", ["fr"], [])))
    resp = client.get("/v1/authorities", headers={"If-None-Match": etag})
    assert resp.status_code == 200
    assert len(resp.json()["items"]) == 2
    assert resp.headers["etag"] != etag


# --------------------------------------------------------------------------- redaction


def _assert_public(record: dict[str, Any]) -> None:
    assert "contacts" not in record
    assert [p["number"] for p in record["phones"]] == [PUBLIC_PHONE]
    assert [e["address"] for e in record["emails"]] == [PUBLIC_EMAIL]
    assert all(p["restricted"] is False for p in record["phones"])
    assert all(e["restricted"] is False for e in record["emails"])


def _assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_redaction_on_list(client: TestClient, session: Session,
                           reference: ReferenceData) -> None:
    save(session, reference, make_record())
    save(session, reference, make_record(ref="BRA-OLD", status="withdrawn", designations=[]))
    for params in ({}, {"status": "all"}, {"country": "BR"}, {"limit": 1}):
        resp = client.get("/v1/authorities", params=params)
        assert resp.status_code == 200
        _assert_no_secrets(resp.text)
        assert '"contacts"' not in resp.text
        assert PUBLIC_PHONE in resp.text and PUBLIC_EMAIL in resp.text
        for record in resp.json()["items"]:
            _assert_public(record)


def test_redaction_on_record(client: TestClient, session: Session,
                             reference: ReferenceData) -> None:
    aid = save(session, reference, make_record())
    withdrawn = save(session, reference, make_record(ref="BRA-OLD", status="withdrawn",
                                                     designations=[]))
    for record_id in (aid, withdrawn):
        resp = client.get(f"/v1/authorities/{record_id}")
        assert resp.status_code == 200
        _assert_no_secrets(resp.text)
        assert '"contacts"' not in resp.text
        assert PUBLIC_PHONE in resp.text and PUBLIC_EMAIL in resp.text
        _assert_public(resp.json())


def test_redaction_on_country(client: TestClient, session: Session,
                              reference: ReferenceData) -> None:
    save(session, reference, make_record())
    for code in ("BRA", "br"):
        resp = client.get(f"/v1/countries/{code}")
        assert resp.status_code == 200
        _assert_no_secrets(resp.text)
        assert '"contacts"' not in resp.text
        assert len(resp.json()["authorities"]) == 1


def test_redaction_when_every_phone_and_email_is_restricted(
    client: TestClient, session: Session, reference: ReferenceData
) -> None:
    aid = save(session, reference, make_record(
        phones=[{"number": "(61) 2025-3009", "restricted": True}],
        emails=[{"address": "internal@drci.example.org", "restricted": True}]))
    record = client.get(f"/v1/authorities/{aid}").json()
    assert record["phones"] == [] and record["emails"] == []
    listed = client.get("/v1/authorities")
    assert listed.json()["items"][0]["phones"] == []
    _assert_no_secrets(listed.text)


# --------------------------------------------------------------------------- errors


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/no-such-thing"), 404)
    assert body["instance"] == "/v1/no-such-thing"


def test_unknown_authority_is_404_problem(client: TestClient) -> None:
    missing = uuid.uuid4()
    body = assert_problem(client.get(f"/v1/authorities/{missing}"), 404)
    assert str(missing) in body.get("detail", "")


def test_malformed_uuid_is_422_with_pointer(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/authorities/not-a-uuid"), 422)
    assert body["errors"][0]["pointer"] == "/path/authority_id"
    assert body["errors"][0]["loc"] == ["path", "authority_id"]


def test_post_on_read_route_is_405(client: TestClient) -> None:
    resp = client.post("/v1/countries", json={})
    assert_problem(resp, 405)
    if "allow" in resp.headers:
        assert "GET" in resp.headers["allow"]


def test_bad_query_is_422(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/countries", params={"lang": "not a tag!"}), 422)
    assert "/query/lang" in pointers(body)
    body = assert_problem(client.get("/v1/countries/ABCD"), 422)
    assert "/path/code" in pointers(body)


def test_unexpected_error_is_opaque_500_problem() -> None:
    from app.main import create_app

    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret-detail")

    resp = TestClient(app, raise_server_exceptions=False).get("/boom")
    body = assert_problem(resp, 500)
    assert "secret-detail" not in resp.text
    assert "Traceback" not in resp.text
    assert "RuntimeError" not in resp.text
    assert body["instance"] == "/boom"


# --------------------------------------------------------------------------- health


def test_healthz(client: TestClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_readyz(client: TestClient, session: Session, reference: ReferenceData) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ready" and body["database"] == "ok"
    assert body["search_backlog"]["pending"] == 0
    save(session, reference, make_record())
    assert client.get("/readyz").json()["search_backlog"]["pending"] == 1


# --------------------------------------------------------------------------- record shape


def test_record_shape(client: TestClient, session: Session, reference: ReferenceData) -> None:
    aid = save(session, reference, make_record(
        phones=[{"number": "+55 61 2025-3000", "kind": "voice", "label": "Switchboard"},
                {"number": "(61) 2025-3001", "kind": "fax"},
                {"number": "(61) 2025-3009", "restricted": True}],
        address={"postal_code": "70064-900", "region": "DF", "locality": "Brasília",
                 "lines": ["Esplanada dos Ministérios, Bloco T"]}))
    resp = client.get(f"/v1/authorities/{aid}")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    record = resp.json()
    assert list(record) == RECORD_KEYS
    assert list(record["address"]) == ["lines", "locality", "region", "postal_code"]
    assert record["address"]["lines"] == ["Esplanada dos Ministérios, Bloco T"]
    assert record["phones"] == [
        {"number": "+556120253000", "kind": "voice", "label": "Switchboard",
         "restricted": False},
        {"number": "+556120253001", "kind": "fax", "label": None, "restricted": False},
    ]
    assert record["id"] == aid
    assert record["ref"] == "BRA-DRCI" and record["country"] == "BRA"
    assert record["version"] == 1
    assert record["status"] == "active"
    assert record["verified_on"] == "2026-05-01"
    assert record["updated_at"].endswith("Z")
    designation = record["designations"][0]
    assert list(designation) == [
        "type", "instrument", "article", "territory", "scope", "since", "until",
        "notification", "languages", "channels", "means", "urgent", "requirements",
    ]
    assert list(designation["urgent"]) == ["channels", "means", "notes"]
    assert list(designation["requirements"]) == [
        "legal_basis_convention", "dual_criminality", "interpol_requests", "notes"]
    assert list(record["office_hours"][0]) == ["days", "opens", "closes"]
    # the list emits the same document
    listed = client.get("/v1/authorities").json()["items"]
    assert listed == [record]
