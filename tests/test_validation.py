"""The record validator against the rules of docs/interchange.md.

One failing example per rule, each asserting the JSON Pointer of the bad field (and,
where it says something useful, a fragment of the message), plus the normalisations
the format promises (country upper-cased, phones to E.164, default time zone,
subdivision codes).  No database: only the ``reference`` fixture built from seed files.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.authorities.schemas import RecordInvalid, validate_record
from app.core.problems import FieldError
from app.reference.data import ReferenceData, read_json
from tests.conftest import make_record

# --------------------------------------------------------------------------- helpers


def errors_of(data: Any, reference: ReferenceData) -> list[FieldError]:
    with pytest.raises(RecordInvalid) as exc:
        validate_record(data, reference)
    return exc.value.errors


def assert_one_error(data: Any, reference: ReferenceData, pointer: str,
                     fragment: str | None = None) -> FieldError:
    """Exactly one error, at ``pointer``, whose message contains ``fragment``."""
    errors = errors_of(data, reference)
    assert [e.pointer for e in errors] == [pointer], [e.as_dict() for e in errors]
    if fragment is not None:
        assert fragment in errors[0].message
    return errors[0]


def base_designation() -> dict[str, Any]:
    return copy.deepcopy(make_record()["designations"][0])


def with_designation(**changes: Any) -> dict[str, Any]:
    """The base record whose only designation has ``changes`` applied."""
    return make_record(designations=[{**base_designation(), **changes}])


def austrian_record(**overrides: Any) -> dict[str, Any]:
    """A valid record of a single-zone country (Austria: Europe/Vienna only)."""
    record = make_record(country="AUT", ref="AUT-BMJ", phones=[], contacts=[])
    del record["time_zone"]
    record.update(overrides)
    return record


# The instrument/article/type table of interchange.md, copied by hand so that a drift
# between the documented contract and the seed data is noticed.
DOCUMENTED_ARTICLES = {
    ("drugs1988", "6", "extradition"),
    ("drugs1988", "7(8)", "mutual_legal_assistance"),
    ("drugs1988", "17(7)", "illicit_traffic_by_sea"),
    ("untoc", "16", "extradition"),
    ("untoc", "17", "transfer_of_sentenced_persons"),
    ("untoc", "18(13)", "mutual_legal_assistance"),
    ("smuggling_protocol", "8(6)", "migrant_smuggling_by_sea"),
    ("firearms_protocol", "13(2)", "firearms_focal_point"),
    ("uncac", "44", "extradition"),
    ("uncac", "46(13)", "mutual_legal_assistance"),
    ("uncac", "6(3)", "corruption_prevention"),
    ("untoc", "31(6)", "organized_crime_prevention"),
}

SEED_ARTICLES = [
    (instrument["code"], article["article"], article["type"])
    for instrument in read_json("instruments.json")
    for article in instrument["articles"]
]


# --------------------------------------------------------------------------- baseline


def test_base_record_is_valid_and_normalised(reference: ReferenceData) -> None:
    record = validate_record(make_record(), reference)
    assert record.country == "BRA"
    assert [p.number for p in record.phones] == ["+556120253000", "+556120253009"]
    assert record.contacts[0].phones[0].number == "+556120253002"
    assert record.time_zone == "America/Sao_Paulo"
    assert record.status == "active"


# --------------------------------------------------------------------------- country


@pytest.mark.parametrize(
    ("country", "fragment"),
    [
        ("XXX", "not a current ISO 3166-1 alpha-3"),
        ("ANT", "not a current ISO 3166-1 alpha-3"),  # Netherlands Antilles, withdrawn 2010
        ("BR", "pattern"),  # alpha-2, wrong length
        ("BRAZ", "pattern"),
        ("", "pattern"),
        ("B1A", "pattern"),
    ],
)
def test_country_must_be_current_alpha3(reference: ReferenceData, country: str,
                                        fragment: str) -> None:
    assert_one_error(make_record(country=country), reference, "/country", fragment)


def test_country_is_required(reference: ReferenceData) -> None:
    record = make_record()
    del record["country"]
    error = assert_one_error(record, reference, "/country")
    assert error.type == "missing"


@pytest.mark.parametrize("country", ["bra", "Bra", " bra "])
def test_country_is_normalised_to_upper_case(reference: ReferenceData, country: str) -> None:
    assert validate_record(make_record(country=country), reference).country == "BRA"


# --------------------------------------------------------------------------- enums, shape


@pytest.mark.parametrize(
    ("field", "value"),
    [("kind", "ministry"), ("kind", "Central_Authority"), ("status", "deleted"),
     ("status", "ACTIVE")],
)
def test_enum_fields_reject_unknown_values(reference: ReferenceData, field: str,
                                           value: str) -> None:
    error = assert_one_error(make_record(**{field: value}), reference, f"/{field}")
    assert error.type == "literal_error"


@pytest.mark.parametrize("kind", ["central_authority", "competent_authority", "focal_point"])
def test_every_kind_is_accepted(reference: ReferenceData, kind: str) -> None:
    assert validate_record(make_record(kind=kind), reference).kind == kind


def test_unknown_top_level_field_is_rejected(reference: ReferenceData) -> None:
    error = assert_one_error(make_record(fax_number="+55 61 2025-3001"), reference,
                             "/fax_number")
    assert error.type == "extra_forbidden"


def test_unknown_nested_field_is_rejected(reference: ReferenceData) -> None:
    error = assert_one_error(with_designation(article_title="MLA"), reference,
                             "/designations/0/article_title")
    assert error.type == "extra_forbidden"


@pytest.mark.parametrize("data", [[], [make_record()], "a record", None, 42])
def test_not_a_json_object(reference: ReferenceData, data: Any) -> None:
    assert_one_error(data, reference, "", "must be a JSON object")


# --------------------------------------------------------------------------- text maps


def test_name_is_required(reference: ReferenceData) -> None:
    record = make_record()
    del record["name"]
    error = assert_one_error(record, reference, "/name")
    assert error.type == "missing"


@pytest.mark.parametrize(
    ("name", "pointer"),
    [({}, "/name"), ({"en": ""}, "/name/en"), ({"en": "   "}, "/name/en"),
     ({"en": "Ministry", "fr": ""}, "/name/fr")],
)
def test_name_needs_a_non_empty_entry(reference: ReferenceData, name: dict[str, str],
                                      pointer: str) -> None:
    assert_one_error(make_record(name=name), reference, pointer)


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"name": {"not a tag!": "x"}}, "/name"),
        ({"name": {"english": "Ministry"}}, "/name"),
        ({"parent": {"xx-yy-zz": "x"}}, "/parent"),
        ({"notes": {"": "x"}}, "/notes"),
    ],
)
def test_text_map_keys_must_be_language_tags(reference: ReferenceData,
                                             overrides: dict[str, Any], pointer: str) -> None:
    assert_one_error(make_record(**overrides), reference, pointer, "BCP 47")


def test_nested_text_map_keys_must_be_language_tags(reference: ReferenceData) -> None:
    record = make_record()
    record["contacts"][0]["title"] = {"not a tag!": "Coordinator"}
    assert_one_error(record, reference, "/contacts/0/title", "BCP 47")
    assert_one_error(with_designation(scope={"not a tag!": "x"}), reference,
                     "/designations/0/scope", "BCP 47")


def test_text_map_accepts_region_and_script_subtags(reference: ReferenceData) -> None:
    name = {"zh-Hant": "司法部", "pt-BR": "Ministério", "en": "Ministry"}
    assert validate_record(make_record(name=name), reference).name == name


# --------------------------------------------------------------------------- lengths


@pytest.mark.parametrize(
    ("field", "limit"),
    [("ref", 64), ("acronym", 32)],
)
def test_string_length_limits(reference: ReferenceData, field: str, limit: int) -> None:
    assert validate_record(make_record(**{field: "A" * limit}), reference)
    error = assert_one_error(make_record(**{field: "A" * (limit + 1)}), reference, f"/{field}")
    assert error.type == "string_too_long"


def test_address_has_at_most_four_lines(reference: ReferenceData) -> None:
    four = {"lines": ["1", "2", "3", "4"]}
    assert validate_record(make_record(address=four), reference).address is not None
    error = assert_one_error(make_record(address={"lines": ["1", "2", "3", "4", "5"]}),
                             reference, "/address/lines")
    assert error.type == "too_long"


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("number", "fragment"),
    [("123", "not a valid phone number"),
     ("+55 61 123", "not a valid phone number"),
     ("not a number", "cannot read")],
)
def test_invalid_phone_number(reference: ReferenceData, number: str, fragment: str) -> None:
    record = make_record(phones=[{"number": number}])
    assert_one_error(record, reference, "/phones/0/number", fragment)


def test_invalid_phone_is_pointed_at_by_index(reference: ReferenceData) -> None:
    record = make_record()
    record["phones"][1]["number"] = "123"
    assert_one_error(record, reference, "/phones/1/number")


def test_national_format_is_read_in_the_country_and_normalised(
        reference: ReferenceData) -> None:
    record = validate_record(make_record(phones=[{"number": "(61) 2025-3000"}]), reference)
    assert record.phones[0].number == "+556120253000"
    # The same digits are not a valid Austrian number: the record's country is used.
    assert_one_error(austrian_record(phones=[{"number": "(61) 2025-3000"}]), reference,
                     "/phones/0/number", "read in AT")


def test_phone_kind_must_be_known(reference: ReferenceData) -> None:
    record = make_record(phones=[{"number": "+55 61 2025-3000", "kind": "pager"}])
    assert_one_error(record, reference, "/phones/0/kind")


def test_phone_restricted_defaults_to_false(reference: ReferenceData) -> None:
    record = validate_record(make_record(phones=[{"number": "+55 61 2025-3000"}]), reference)
    assert record.phones[0].restricted is False
    assert record.phones[0].kind == "voice"


def test_contact_phone_is_validated(reference: ReferenceData) -> None:
    record = make_record()
    record["contacts"][0]["phones"][0]["number"] = "123"
    assert_one_error(record, reference, "/contacts/0/phones/0/number",
                     "not a valid phone number")


def test_contact_phone_in_national_format_is_normalised(reference: ReferenceData) -> None:
    record = make_record()
    record["contacts"][0]["phones"][0]["number"] = "(61) 2025-3002"
    assert validate_record(record, reference).contacts[0].phones[0].number == "+556120253002"


# --------------------------------------------------------------------------- emails


@pytest.mark.parametrize(
    "address", ["not-an-email", "a@b@drci.example.org", "mla@", "@drci.example.org",
                "mla@drci..example.org"],
)
def test_email_syntax(reference: ReferenceData, address: str) -> None:
    record = make_record(emails=[{"address": address}])
    assert_one_error(record, reference, "/emails/0/address", "not a valid e-mail address")


def test_contact_email_syntax(reference: ReferenceData) -> None:
    record = make_record()
    record["contacts"][0]["emails"][0]["address"] = "duty at drci"
    assert_one_error(record, reference, "/contacts/0/emails/0/address",
                     "not a valid e-mail address")


# --------------------------------------------------------------------------- website


@pytest.mark.parametrize(
    "website",
    ["ftp://drci.example.org", "javascript:alert(1)", "drci.example.org", "https://",
     "mailto:mla@drci.example.org"],
)
def test_website_must_be_http_or_https(reference: ReferenceData, website: str) -> None:
    assert_one_error(make_record(website=website), reference, "/website", "http or https")


@pytest.mark.parametrize("website", ["https://drci.example.org", "http://drci.example.org/mla"])
def test_http_and_https_websites_are_accepted(reference: ReferenceData, website: str) -> None:
    assert validate_record(make_record(website=website), reference).website == website


# --------------------------------------------------------------------------- time zone


@pytest.mark.parametrize("zone", ["Mars/Olympus", "europe/vienna", "UTC+3", ""])
def test_time_zone_must_be_an_iana_name(reference: ReferenceData, zone: str) -> None:
    assert_one_error(make_record(time_zone=zone), reference, "/time_zone", "IANA")


@pytest.mark.parametrize("explicit_null", [False, True])
def test_time_zone_defaults_to_the_only_zone_of_the_country(
        reference: ReferenceData, explicit_null: bool) -> None:
    assert reference.countries["AUT"].time_zones == ("Europe/Vienna",)
    data = austrian_record(time_zone=None) if explicit_null else austrian_record()
    assert validate_record(data, reference).time_zone == "Europe/Vienna"


def test_time_zone_has_no_default_for_a_multi_zone_country(reference: ReferenceData) -> None:
    assert len(reference.countries["BRA"].time_zones) > 1
    record = make_record()
    del record["time_zone"]
    assert validate_record(record, reference).time_zone is None


def test_given_time_zone_is_kept(reference: ReferenceData) -> None:
    record = validate_record(make_record(time_zone="America/Manaus"), reference)
    assert record.time_zone == "America/Manaus"


# --------------------------------------------------------------------------- office hours


@pytest.mark.parametrize(
    ("hours", "pointer", "fragment"),
    [
        ({"days": ["funday"], "opens": "09:00", "closes": "18:00"},
         "/office_hours/0/days/0", None),
        ({"days": ["mon"], "opens": "25:00", "closes": "18:00"},
         "/office_hours/0/opens", "HH:MM"),
        ({"days": ["mon"], "opens": "9:00", "closes": "18:00"},
         "/office_hours/0/opens", "HH:MM"),
        ({"days": ["mon"], "opens": "09:00", "closes": "18:60"},
         "/office_hours/0/closes", "HH:MM"),
        ({"days": ["mon"], "opens": "18:00", "closes": "09:00"},
         "/office_hours/0", "opens must be earlier than closes"),
        ({"days": ["mon"], "opens": "09:00", "closes": "09:00"},
         "/office_hours/0", "opens must be earlier than closes"),
        ({"days": [], "opens": "09:00", "closes": "18:00"},
         "/office_hours/0/days", None),
        ({"days": ["mon", "tue", "mon"], "opens": "09:00", "closes": "18:00"},
         "/office_hours/0/days", "must not repeat"),
    ],
    ids=["bad-day", "opens-25h", "opens-one-digit-hour", "closes-60-min", "opens-after-closes",
         "opens-equals-closes", "no-days", "repeated-day"],
)
def test_office_hours_rules(reference: ReferenceData, hours: dict[str, Any], pointer: str,
                            fragment: str | None) -> None:
    assert_one_error(make_record(office_hours=[hours]), reference, pointer, fragment)


def test_office_hours_error_points_at_the_right_entry(reference: ReferenceData) -> None:
    hours = [{"days": ["mon"], "opens": "09:00", "closes": "12:00"},
             {"days": ["mon"], "opens": "14:00", "closes": "13:00"}]
    assert_one_error(make_record(office_hours=hours), reference, "/office_hours/1")


def test_office_hours_whole_week_until_midnight(reference: ReferenceData) -> None:
    hours = [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "opens": "00:00",
              "closes": "24:00"}]
    assert validate_record(make_record(office_hours=hours), reference).office_hours


# --------------------------------------------------------------------------- designations


@pytest.mark.parametrize(
    ("changes", "pointer", "fragment"),
    [
        ({"instrument": "echr"}, "/designations/0/instrument", "unknown instrument"),
        ({"article": "99"}, "/designations/0/article", "designates no authority"),
        # 18(13) is an UNTOC article, not a UNCAC one.
        ({"instrument": "uncac"}, "/designations/0/article", "designates no authority"),
        ({"article": "16"}, "/designations/0/type", "is for extradition"),
        ({"territory": ["US-NY"]}, "/designations/0/territory/0", "subdivision of BRA"),
        ({"territory": ["BR-XX"]}, "/designations/0/territory/0", "subdivision of BRA"),
        ({"territory": ["BR-SP", "US-NY"]}, "/designations/0/territory/1",
         "subdivision of BRA"),
        ({"territory": ["BR-SP", "BR-SP"]}, "/designations/0/territory", "must not repeat"),
        ({"since": "2010-01-01", "until": "2005-01-01"}, "/designations/0",
         "until must not be earlier than since"),
        ({"languages": ["pt", "not a tag!"]}, "/designations/0/languages/1", "BCP 47"),
        ({"languages": ["pt", "pt"]}, "/designations/0/languages", "must not repeat"),
        ({"channels": ["fax"]}, "/designations/0/channels/0", None),
        ({"means": ["pigeon"]}, "/designations/0/means/0", None),
        ({"urgent": {"channels": ["telepathy"]}}, "/designations/0/urgent/channels/0", None),
        ({"urgent": {"means": ["smoke_signal"]}}, "/designations/0/urgent/means/0", None),
        ({"requirements": {"dual_criminality": "sometimes"}},
         "/designations/0/requirements/dual_criminality", None),
        ({"requirements": {"legal_basis_convention": "maybe"}},
         "/designations/0/requirements/legal_basis_convention", None),
        ({"since": "29/01/2004"}, "/designations/0/since", None),
    ],
    ids=["unknown-instrument", "unknown-article", "article-of-other-instrument",
         "article-type-mismatch", "foreign-territory", "nonexistent-territory",
         "second-territory", "repeated-territory", "since-after-until", "bad-language",
         "repeated-language", "bad-channel", "bad-means", "bad-urgent-channel",
         "bad-urgent-means", "bad-dual-criminality", "bad-legal-basis", "bad-date"],
)
def test_designation_rules(reference: ReferenceData, changes: dict[str, Any], pointer: str,
                           fragment: str | None) -> None:
    assert_one_error(with_designation(**changes), reference, pointer, fragment)


def test_unknown_designation_type(reference: ReferenceData) -> None:
    errors = errors_of(with_designation(type="bribery"), reference)
    assert {e.pointer for e in errors} == {"/designations/0/type"}
    assert "unknown designation type 'bribery'" in errors[0].message
    # No second, redundant "article is for X, not bribery" error.
    assert len(errors) == 1


def test_designation_error_points_at_the_right_designation(reference: ReferenceData) -> None:
    second = {**base_designation(), "type": "extradition", "article": "17"}
    record = make_record(designations=[base_designation(), second])
    assert_one_error(record, reference, "/designations/1/type",
                     "is for transfer_of_sentenced_persons")


@pytest.mark.parametrize("code", ["BR-SP", "br-sp"])
def test_valid_territory_is_accepted_and_normalised(reference: ReferenceData,
                                                    code: str) -> None:
    record = validate_record(with_designation(territory=[code]), reference)
    assert record.designations[0].territory == ["BR-SP"]


def test_designation_may_start_and_end_on_the_same_day(reference: ReferenceData) -> None:
    data = with_designation(since="2004-01-29", until="2004-01-29")
    assert validate_record(data, reference).designations[0].until is not None


def test_designation_optional_parts_may_be_null(reference: ReferenceData) -> None:
    data = with_designation(urgent=None, scope=None, until=None, notification=None,
                            requirements={"legal_basis_convention": None,
                                          "dual_criminality": None})
    assert validate_record(data, reference).designations[0].urgent is None


def test_seed_instrument_table_matches_the_documented_contract() -> None:
    assert len(SEED_ARTICLES) == 12
    assert set(SEED_ARTICLES) == DOCUMENTED_ARTICLES


@pytest.mark.parametrize(("instrument", "article", "type_"), SEED_ARTICLES,
                         ids=[f"{i}-{a}" for i, a, _ in SEED_ARTICLES])
def test_every_instrument_article_row_validates(reference: ReferenceData, instrument: str,
                                                article: str, type_: str) -> None:
    data = with_designation(instrument=instrument, article=article, type=type_)
    designation = validate_record(data, reference).designations[0]
    assert (designation.instrument, designation.article, designation.type) == (
        instrument, article, type_)


@pytest.mark.parametrize(("instrument", "article", "type_"), SEED_ARTICLES,
                         ids=[f"{i}-{a}" for i, a, _ in SEED_ARTICLES])
def test_every_instrument_article_row_rejects_another_type(
        reference: ReferenceData, instrument: str, article: str, type_: str) -> None:
    other = "corruption_prevention" if type_ != "corruption_prevention" else "extradition"
    data = with_designation(instrument=instrument, article=article, type=other)
    assert_one_error(data, reference, "/designations/0/type", f"is for {type_}")


# --------------------------------------------------------------------------- status


@pytest.mark.parametrize("omit", [False, True])
def test_active_record_needs_a_designation(reference: ReferenceData, omit: bool) -> None:
    record = make_record(designations=[])
    if omit:
        del record["designations"]
    assert_one_error(record, reference, "/designations", "at least one designation")


@pytest.mark.parametrize("omit", [False, True])
def test_withdrawn_record_may_have_no_designation(reference: ReferenceData,
                                                  omit: bool) -> None:
    record = make_record(status="withdrawn", designations=[])
    if omit:
        del record["designations"]
    validated = validate_record(record, reference)
    assert validated.status == "withdrawn"
    assert validated.designations == []


# --------------------------------------------------------------------------- many errors


def test_all_structural_errors_are_reported(reference: ReferenceData) -> None:
    record = make_record(kind="ministry", website="ftp://drci.example.org",
                         time_zone="Mars/Olympus")
    record["emails"][0]["address"] = "not-an-email"
    record["designations"][0]["channels"] = ["fax"]
    pointers = {e.pointer for e in errors_of(record, reference)}
    assert pointers == {"/kind", "/website", "/time_zone", "/emails/0/address",
                        "/designations/0/channels/0"}


def test_all_reference_errors_are_reported(reference: ReferenceData) -> None:
    record = make_record()
    record["phones"][0]["number"] = "123"
    record["contacts"][0]["phones"][0]["number"] = "456"
    record["designations"][0]["article"] = "99"
    record["designations"][0]["territory"] = ["US-NY"]
    pointers = [e.pointer for e in errors_of(record, reference)]
    assert sorted(pointers) == sorted([
        "/phones/0/number", "/contacts/0/phones/0/number", "/designations/0/article",
        "/designations/0/territory/0"])


def test_structural_and_reference_errors_are_reported_together(reference: ReferenceData) -> None:
    """All errors of a record are reported at once: a structural error (e-mail syntax)
    must not hide the rules that need the country or the reference tables."""
    record = make_record()
    record["emails"][0]["address"] = "not-an-email"
    record["phones"][0]["number"] = "123"
    record["designations"][0]["article"] = "99"
    pointers = sorted(e.pointer for e in errors_of(record, reference))
    assert pointers == ["/designations/0/article", "/emails/0/address", "/phones/0/number"]


# --------------------------------------------------------------------------- output-only


def test_output_only_fields_are_accepted_and_ignored(reference: ReferenceData) -> None:
    data = make_record(id="5f0c2a8e-8a4b-4f7e-9a55-1d3c2b7e9f10", version=3,
                       updated_at="2026-05-01T12:00:00Z")
    dumped = validate_record(data, reference).model_dump()
    assert "version" not in dumped
    assert "updated_at" not in dumped
    assert str(dumped["id"]) == "5f0c2a8e-8a4b-4f7e-9a55-1d3c2b7e9f10"


def test_an_exported_record_can_be_imported_again(reference: ReferenceData) -> None:
    first = validate_record(make_record(), reference).model_dump(mode="json")
    exported = {**first, "id": "5f0c2a8e-8a4b-4f7e-9a55-1d3c2b7e9f10", "version": 3,
                "updated_at": "2026-05-01T12:00:00Z"}
    again = validate_record(exported, reference).model_dump(mode="json")
    assert again == {**first, "id": "5f0c2a8e-8a4b-4f7e-9a55-1d3c2b7e9f10"}


# --------------------------------------------------------------------------- database bounds


@pytest.mark.parametrize(("changes", "pointer"), [
    ({"notes": {"en": "a\u0000b"}}, "/notes/en"),
    ({"acronym": "DR\u0000CI"}, "/acronym"),
    ({"address": {"lines": ["Bloco T\u0000"]}}, "/address/lines/0"),
    ({"website": "https://drci.example.org/\u0000"}, "/website"),
    ({"ref": "\u0000"}, "/ref"),
])
def test_nul_character_is_refused_at_its_pointer(reference: ReferenceData,
                                                 changes: dict[str, Any], pointer: str) -> None:
    errors = errors_of(make_record(**changes), reference)
    assert pointer in [e.pointer for e in errors], [e.as_dict() for e in errors]


def test_nul_character_in_a_map_key_is_refused(reference: ReferenceData) -> None:
    errors = errors_of(make_record(name={"en": "Office", "p\u0000t": "Escritório"}),
                       reference)
    assert "/name/p\u0000t" in [e.pointer for e in errors]


@pytest.mark.parametrize(("changes", "pointer"), [
    ({"verified_on": "0001-01-01"}, "/verified_on"),
    ({"verified_on": "9999-12-31"}, "/verified_on"),
    ({"version": 2**31}, "/version"),
    ({"version": 10**40}, "/version"),
])
def test_values_beyond_what_the_database_holds_are_refused(
        reference: ReferenceData, changes: dict[str, Any], pointer: str) -> None:
    assert_one_error(make_record(**changes), reference, pointer)


@pytest.mark.parametrize(("field", "value"), [("since", "1899-12-31"), ("until", "2201-01-01")])
def test_designation_dates_are_bounded(reference: ReferenceData, field: str,
                                       value: str) -> None:
    assert_one_error(with_designation(**{field: value}), reference,
                     f"/designations/0/{field}", "1900")


def test_dates_at_the_bounds_are_accepted(reference: ReferenceData) -> None:
    record = validate_record(with_designation(since="1900-01-01", until="2200-12-31"),
                             reference)
    assert str(record.designations[0].until) == "2200-12-31"


# --------------------------------------------------------------------------- any JSON value


def _leaf_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every position in a document: objects' members and arrays' items, at any depth."""
    if isinstance(value, dict):
        children: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    else:
        return [path]
    return [path] + [p for key, child in children for p in _leaf_paths(child, (*path, key))]


def _replaced(record: dict[str, Any], path: tuple[str | int, ...], value: Any) -> Any:
    document = copy.deepcopy(record)
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize("wrong", [{}, [], None, True, 7, 1.5, "x"],
                         ids=["object", "array", "null", "true", "int", "float", "string"])
def test_any_json_value_anywhere_is_refused_or_accepted_never_crashes(
        reference: ReferenceData, wrong: Any) -> None:
    """Found by the fuzzer: a designation type of {} or [] raised TypeError (unhashable)
    in the reference checks, a 500. Every position of a full record, given a value of
    each JSON kind, must give RecordInvalid with field errors, or a valid record."""
    record = make_record()
    for path in _leaf_paths(record)[1:]:
        document = _replaced(record, path, wrong)
        try:
            validate_record(document, reference)
        except RecordInvalid as exc:
            assert exc.errors, path
