"""The readable diff: labels in the reader's language, values as people read them."""

from __future__ import annotations

import copy
from typing import Any

from app.web.record_diff import EMPTY, readable_diff

LABELS = {
    "country": {"BRA": "Brazil"},
    "type": {"extradition": "Extradition", "mla": "Mutual legal assistance"},
    "instrument": {"UNTOC": "UNTOC"},
    "language": {"en": "English", "pt": "Portuguese", "es": "Spanish", "fr": "French"},
}
LABELS_FR = {**LABELS, "language": {"en": "anglais", "pt": "portugais", "es": "espagnol",
                                    "fr": "français"}}


def record() -> dict[str, Any]:
    return {
        "id": "0b8f0a54-2f5a-4a53-9d33-8a0c7c1f0a11", "ref": "BRA-1", "country": "BRA",
        "kind": "central_authority", "name": {"en": "Ministry of Justice",
                                              "pt": "Ministério da Justiça"},
        "acronym": None, "parent": None,
        "address": {"lines": ["Esplanada dos Ministérios"], "locality": "Brasília",
                    "region": None, "postal_code": "70064-900"},
        "phones": [{"number": "+556120254546", "kind": "voice", "label": None,
                    "restricted": False}],
        "emails": [{"address": "drci@mj.gov.br", "label": None, "restricted": False}],
        "website": None, "time_zone": "America/Sao_Paulo",
        "office_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00",
                          "closes": "18:00"}],
        "designations": [{
            "type": "extradition", "instrument": "UNTOC", "article": "16.17",
            "territory": [], "scope": None, "since": None, "until": None,
            "notification": None, "languages": ["pt", "en"], "channels": ["diplomatic"],
            "means": ["post"], "urgent": None,
            "requirements": {"legal_basis_convention": True, "dual_criminality": None,
                             "notes": None}}],
        "contacts": [], "notes": None, "verified_on": "2025-05-01", "status": "active",
        "version": 3, "updated_at": "2026-01-01T00:00:00.000000Z",
    }


def test_same_record_has_no_rows() -> None:
    changed = record()
    changed["version"] = 4
    changed["updated_at"] = "2026-02-01T00:00:00.000000Z"
    assert readable_diff(record(), changed, "en", LABELS) == []


def test_languages_are_named_and_joined_in_the_readers_language() -> None:
    after = record()
    after["designations"][0]["languages"] = ["pt", "en", "es"]
    [row] = readable_diff(record(), after, "en", LABELS)
    assert row.field == "designations.0.languages"
    assert row.label == "Designation 1: Languages accepted"
    assert row.before == "Portuguese and English"
    assert row.after == "Portuguese, English, and Spanish"
    [row_fr] = readable_diff(record(), after, "fr", LABELS_FR)
    assert row_fr.label == "Désignation 1: Langues acceptées"
    assert row_fr.after == "portugais, anglais et espagnol"


def test_dates_phones_and_words_are_as_people_read_them() -> None:
    after = record()
    after["verified_on"] = "2026-12-01"
    after["phones"][0] = {"number": "+556120254547", "kind": "fax", "label": None,
                          "restricted": True}
    after["designations"][0]["channels"] = ["diplomatic", "interpol"]
    rows = {row.field: row for row in readable_diff(record(), after, "en", LABELS)}
    assert rows["verified_on"].before == "May 1, 2025"
    assert rows["verified_on"].after == "December 1, 2026"
    assert rows["phones.0"].before == "+55 61 2025-4546 (voice)"
    assert rows["phones.0"].after == "+55 61 2025-4547 (fax, restricted)"
    assert rows["designations.0.channels"].after == "Diplomatic channel and INTERPOL"
    for row in rows.values():
        assert "/" not in row.label, "a label is never a JSON Pointer"


def test_text_maps_give_one_row_per_language_changed() -> None:
    after = record()
    after["name"] = {"en": "Ministry of Justice and Public Security",
                     "pt": "Ministério da Justiça", "fr": "Ministère de la Justice"}
    rows = readable_diff(record(), after, "en", LABELS)
    assert [(r.label, r.before, r.after) for r in rows] == [
        ("Name (English)", "Ministry of Justice", "Ministry of Justice and Public Security"),
        ("Name (French)", EMPTY, "Ministère de la Justice"),
    ]


def test_added_and_removed_entries() -> None:
    after = record()
    after["designations"].append({**copy.deepcopy(after["designations"][0]),
                                  "type": "mla", "article": "18.13"})
    after["emails"] = []
    after["contacts"] = [{"name": "Ana Souza", "title": None, "phones": [],
                          "emails": [{"address": "ana@mj.gov.br", "label": None,
                                      "restricted": False}], "languages": ["pt"]}]
    rows = {row.field: row for row in readable_diff(record(), after, "en", LABELS)}
    assert rows["designations.1"].before == EMPTY
    assert rows["designations.1"].after == "Mutual legal assistance, UNTOC article 18.13"
    assert rows["emails.0"].before == "drci@mj.gov.br"
    assert rows["emails.0"].after == EMPTY
    assert rows["contacts.0"].after == "Ana Souza · ana@mj.gov.br"


def test_a_new_record_shows_what_it_holds_and_a_withdrawal_its_status() -> None:
    rows = {row.field: row for row in readable_diff(None, record(), "en", LABELS)}
    assert rows["country"].after == "Brazil"
    assert rows["kind"].after == "Central authority"
    assert rows["office_hours.0"].after == "Mon, Tue, Wed, Thu, and Fri 09:00–18:00"
    withdrawn = {**record(), "status": "withdrawn"}
    [row] = readable_diff(record(), withdrawn, "en", LABELS)
    assert (row.label, row.before, row.after) == ("Status", "active", "withdrawn")


def test_arabic_reader_gets_arabic_labels() -> None:
    after = {**record(), "status": "withdrawn"}
    [row] = readable_diff(record(), after, "ar", LABELS)
    assert (row.label, row.before, row.after) == ("الحالة", "نشط", "مسحوب")
