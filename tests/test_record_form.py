"""The record form (/authorities/{id}/edit, /authorities/new) over HTTP: form fields <->
record, errors beside their fields in the reader's language, who may open it, a form
posted twice, the secretariat's conflicting edit, withdrawal, and phones shown in
international format (the browser tests are in tests/test_web_record_form_browser.py)."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.access.principal import Role
from app.accounts.cookies import cookie_name
from app.authorities.documents import content_of, render
from app.authorities.models import Authority
from app.authorities.schemas import validate_record
from app.authorities.service import Actor, save_record
from app.core.problems import FieldError
from app.core.settings import get_settings
from app.proposals.models import Proposal
from app.reference.data import ReferenceData
from app.web import i18n
from app.web import record_form as rf
from tests.conftest import make_record, store
from tests.test_access import _signed_in


class _FormFields(HTMLParser):
    """The fields a browser would send for the first form with ``action_part`` in its
    action (buttons aside): text inputs, checked boxes, selected options, text areas."""

    def __init__(self, action_part: str) -> None:
        super().__init__()
        self.action_part = action_part
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.select: dict[str, Any] | None = None
        self.option: dict[str, str] | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and self.action_part in a.get("action", ""):
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value") or "on"))
            elif kind not in ("submit", "button"):
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = {"name": a.get("name", ""), "multiple": "multiple" in a,
                           "chosen": [], "first": None}
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in a:
                self.select["chosen"].append(value)
        elif tag == "textarea":
            self.textarea = a.get("name", "")
            self.text = ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]
            self.fields += [(self.select["name"], value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "form":
            self.inside = False
            self.done = True


def form_fields(html: str, action_part: str = "/edit") -> list[tuple[str, str]]:
    parser = _FormFields(action_part)
    parser.feed(html)
    return [(name, html_lib.unescape(value)) for name, value in parser.fields]


def replaced(fields: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The fields with some values changed (names with / written as __)."""
    wanted = {name.replace("__", "/"): value for name, value in values.items()}
    return [(name, wanted.get(name, value)) for name, value in fields]


def signed_in(client: TestClient, session: Session, role: Role, **scope: Any) -> None:
    client.cookies.set(cookie_name(get_settings()), _signed_in(session, role, **scope))


def _post(client: TestClient, url: str, fields: list[tuple[str, str]]) -> Any:
    return client.post(url, content=_encoded(fields), follow_redirects=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def _encoded(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


def _error_beside(html: str, field: str) -> str:
    fid = "f-" + field.replace("/", "-")
    found = re.search(rf'<p id="{re.escape(fid)}-error" class="field-error"[^>]*>([^<]+)</p>',
                      html)
    assert found, f"no error beside {field}"
    assert f'aria-describedby="{fid}-error' in html
    return html_lib.unescape(found.group(1))


# -- form <-> record --------------------------------------------------------------------------

def test_a_full_record_goes_through_the_form_unchanged(reference: ReferenceData) -> None:
    record = make_record()
    expected = validate_record(record, reference).model_dump(mode="json")
    draft = rf.draft_from_record(validate_record(record, reference).model_dump(mode="json"))
    rf.offer_languages(draft, ["pt", "ar", "zh", "en", "fr", "ru", "es"])
    fields = _fields_of(draft)
    again = rf.draft_from_fields(fields)
    rf.prune_offered(again)
    assert validate_record(rf.record_from_draft(again), reference).model_dump(mode="json") \
        == expected


def _fields_of(node: Any, path: str = "") -> list[tuple[str, str]]:
    """The fields of a draft as a browser posts them (unchecked boxes absent)."""
    if isinstance(node, dict):
        return [f for key, value in node.items()
                for f in _fields_of(value, f"{path}/{key}" if path else key)]
    if isinstance(node, list):
        if all(isinstance(v, str) for v in node):
            return [(path, v) for v in node]
        return [f for i, value in enumerate(node) for f in _fields_of(value, f"{path}/{i}")]
    if isinstance(node, bool):
        return [(path, "on")] if node else []
    return [(path, node)]


def test_the_rendered_form_posts_back_the_same_record(client: TestClient, session: Session,
                                                      bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    page = client.get(f"/authorities/{bra.id}/edit")
    assert page.status_code == 200, page.text
    before = content_of(render(bra))
    response = _post(client, f"/authorities/{bra.id}/edit", form_fields(page.text))
    assert response.status_code == 303, response.text
    session.expire_all()
    stored = session.get(Authority, bra.id)
    assert stored is not None
    from app.authorities.history import diff
    assert diff(before, content_of(render(stored))) == []
    assert stored.version == 1, "an unchanged form writes no version"


def test_errors_point_to_their_fields(reference: ReferenceData) -> None:
    draft = rf.draft_from_record(make_record())
    draft["name"].append({"lang": "fr", "text": "Département"})
    errors = [FieldError(("phones", 1, "number"), "x", "phone_number"),
              FieldError(("name", "fr"), "x", "string_too_short"),
              FieldError(("designations", 0, "territory", 1), "x", "subdivision"),
              FieldError(("office_hours", 0), "opens must be earlier than closes",
                         "value_error"),
              FieldError(("body", "record", "contacts", 0, "title", "en"), "x", "too_long"),
              FieldError(("address", "lines", 2), "x", "string_too_short"),
              FieldError(("body", "base_version"), "x", "version")]
    fields = rf.errors_by_field(errors, draft, i18n.strings("fr"))
    t = i18n.strings("fr")
    assert fields == {
        "phones/1/number": t["rf_err_phone"],
        "name/2/text": t["rf_err_required"],
        "designations/0/territory": t["rf_err_subdivision"],
        "office_hours/0": t["rf_err_opens_closes"],
        "contacts/0/title/0/text": t["rf_err_too_long"],
        "address/lines": t["rf_err_required"],
        "": t["rf_err_invalid"],
    }


def test_rows_are_added_and_removed_without_losing_what_was_typed() -> None:
    draft = rf.draft_from_record(make_record())
    draft["phones"][0]["number"] = "typed"
    assert rf.apply_row_operation(draft, "add:contacts/0/phones")
    assert draft["contacts"][0]["phones"][-1]["number"] == ""
    assert rf.apply_row_operation(draft, "remove:designations/0")
    assert draft["designations"] == []
    assert not rf.apply_row_operation(draft, "remove:designations/5")
    assert not rf.apply_row_operation(draft, "add:name")
    assert draft["phones"][0]["number"] == "typed"


# -- pages ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role, scope", [(Role.official, "authority"),
                                         (Role.focal_point, "FRA"),
                                         (Role.network, "BRA")])
def test_who_may_not_open_the_form(client: TestClient, session: Session, bra: Authority,
                                   role: Role, scope: str) -> None:
    kwargs: dict[str, Any] = ({"authority_ids": [bra.id]} if scope == "authority"
                              else {"countries": [scope]})
    signed_in(client, session, role, **kwargs)
    page = client.get(f"/authorities/{bra.id}/edit")
    assert page.status_code == 403
    assert 'name="nonce"' not in page.text
    assert client.get("/authorities/new").status_code == (403 if role is not Role.focal_point
                                                          else 200)


def test_an_anonymous_visitor_is_sent_to_sign_in(client: TestClient, bra: Authority) -> None:
    page = client.get(f"/authorities/{bra.id}/edit", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in?")
    assert "next=%2Fauthorities%2F" in page.headers["location"]
    posted = client.post(f"/authorities/{bra.id}/edit", data={"csrf": "x"},
                         follow_redirects=False)
    assert posted.status_code == 403


def test_a_post_by_a_focal_point_of_another_state_changes_nothing(
        client: TestClient, session: Session, bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    fields = form_fields(client.get(f"/authorities/{bra.id}/edit").text)
    signed_in(client, session, Role.focal_point, countries=["FRA"])
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/authorities/new").text)
    assert csrf
    response = _post(client, f"/authorities/{bra.id}/edit",
                     replaced(fields, csrf=csrf.group(1), reason="mine now"))
    assert response.status_code == 403
    assert session.scalars(select(Proposal)).all() == []


def test_a_wrong_phone_is_refused_beside_its_field_and_kept(
        client: TestClient, session: Session, bra: Authority) -> None:
    signed_in(client, session, Role.focal_point, countries=["BRA"])
    page = client.get(f"/authorities/{bra.id}/edit?lang=fr")
    fields = replaced(form_fields(page.text), phones__0__number="01 23 45 67 89",
                      reason="Nouveau standard")
    response = _post(client, f"/authorities/{bra.id}/edit?lang=fr", fields)
    assert response.status_code == 422
    assert _error_beside(response.text, "phones/0/number") == \
        i18n.strings("fr")["rf_err_phone"]
    assert 'value="01 23 45 67 89"' in response.text
    assert 'role="alert"' in response.text
    assert session.scalars(select(Proposal)).all() == []


def test_a_focal_points_form_becomes_one_proposal_even_posted_twice(
        client: TestClient, session: Session, bra: Authority) -> None:
    signed_in(client, session, Role.focal_point, countries=["BRA"])
    page = client.get(f"/authorities/{bra.id}/edit")
    fields = replaced(form_fields(page.text), phones__0__number="(61) 2025-4546",
                      reason="New switchboard")
    first = _post(client, f"/authorities/{bra.id}/edit", fields)
    second = _post(client, f"/authorities/{bra.id}/edit", fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    proposals = session.scalars(select(Proposal)).all()
    assert len(proposals) == 1
    proposal = proposals[0]
    assert (proposal.action, proposal.base_version, proposal.reason) == \
        ("update", 1, "New switchboard")
    assert proposal.document is not None
    assert proposal.document["phones"][0]["number"] == "+556120254546"
    session.expire_all()
    assert session.get(Authority, bra.id).version == 1  # type: ignore[union-attr]
    done = client.get(first.headers["location"])
    assert i18n.strings("en")["rf_proposal_sent"] in done.text


def test_a_focal_point_must_give_a_reason(client: TestClient, session: Session,
                                          bra: Authority) -> None:
    signed_in(client, session, Role.focal_point, countries=["BRA"])
    fields = form_fields(client.get(f"/authorities/{bra.id}/edit").text)
    response = _post(client, f"/authorities/{bra.id}/edit", fields)
    assert response.status_code == 422
    assert _error_beside(response.text, "reason") == i18n.strings("en")["rf_err_reason_needed"]


def test_the_secretariats_edit_is_saved_and_a_conflict_is_shown(
        client: TestClient, session: Session, reference: ReferenceData,
        bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    fields = form_fields(client.get(f"/authorities/{bra.id}/edit").text)
    # Someone else saves version 2 meanwhile.
    save_record(session, validate_record({**make_record(website="https://other.example.org"),
                                          "id": str(bra.id)}, reference),
                Actor("key:other", "secretariat"), reason="elsewhere")
    session.commit()
    mine = replaced(fields, acronym="DRCI-MJ", reason="acronym")
    conflict = _post(client, f"/authorities/{bra.id}/edit", mine)
    assert conflict.status_code == 409
    assert "https://other.example.org" in conflict.text and 'data-field="website"' in \
        conflict.text
    assert 'value="DRCI-MJ"' in conflict.text  # what was typed is kept
    assert 'name="version" value="2"' in conflict.text
    session.expire_all()
    assert session.get(Authority, bra.id).acronym == "DRCI"  # type: ignore[union-attr]
    again = _post(client, f"/authorities/{bra.id}/edit", form_fields(conflict.text))
    assert again.status_code == 303
    session.expire_all()
    stored = session.get(Authority, bra.id)
    assert stored is not None and stored.version == 3 and stored.acronym == "DRCI-MJ"
    # The form was based on version 1: its website replaces the one saved meanwhile,
    # after the person saw that change.
    assert stored.website == "https://drci.example.org"


def test_rows_added_through_the_page_keep_what_was_typed(client: TestClient, session: Session,
                                                          bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    fields = replaced(form_fields(client.get(f"/authorities/{bra.id}/edit").text),
                      acronym="typed")
    added = _post(client, f"/authorities/{bra.id}/edit", [*fields, ("op", "add:phones")])
    assert added.status_code == 200
    assert 'name="phones/2/number"' in added.text and 'value="typed"' in added.text
    removed = _post(client, f"/authorities/{bra.id}/edit",
                    [*form_fields(added.text), ("op", "remove:designations/0")])
    assert 'name="designations/0/type"' not in removed.text
    assert 'value="typed"' in removed.text


def test_a_new_authority_is_proposed_or_created(client: TestClient, session: Session) -> None:
    record = make_record(ref="BRA-NEW")
    signed_in(client, session, Role.focal_point, countries=["BRA"])
    page = client.get("/authorities/new")
    assert page.status_code == 200 and 'value="BRA" selected' in page.text
    draft = rf.draft_from_record(record)
    fields = [(n, v) for n, v in form_fields(page.text, "/authorities/new")
              if n in ("csrf", "nonce")] + _fields_of(draft) + [("reason", "new office")]
    proposed = _post(client, "/authorities/new", fields)
    assert proposed.status_code == 303, proposed.text
    proposal = session.scalars(select(Proposal)).one()
    assert proposal.action == "create" and proposal.country == "BRA"
    assert session.scalars(select(Authority)).all() == []
    signed_in(client, session, Role.secretariat)
    page = client.get("/authorities/new?country=BRA")
    fields = [(n, v) for n, v in form_fields(page.text, "/authorities/new")
              if n in ("csrf", "nonce")] + _fields_of(draft)
    created = _post(client, "/authorities/new", fields)
    assert created.status_code == 303, created.text
    stored = session.scalars(select(Authority).where(col(Authority.ref) == "BRA-NEW")).one()
    assert created.headers["location"].startswith(f"/authorities/{stored.id}")


def test_the_secretariat_withdraws_with_a_reason(client: TestClient, session: Session,
                                                 bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    page = client.get(f"/authorities/{bra.id}/edit")
    fields = form_fields(page.text, "/withdraw")
    assert _post(client, f"/authorities/{bra.id}/withdraw", fields).status_code == 422
    done = _post(client, f"/authorities/{bra.id}/withdraw",
                 replaced(fields, withdraw_reason="Designation ended"))
    assert done.status_code == 303
    twice = _post(client, f"/authorities/{bra.id}/withdraw",
                  replaced(fields, withdraw_reason="Designation ended"))
    assert twice.headers["location"] == done.headers["location"]
    session.expire_all()
    stored = session.get(Authority, bra.id)
    assert stored is not None and stored.status == "withdrawn" and stored.version == 2


def test_phones_are_shown_in_international_format_with_e164_links(
        client: TestClient, bra: Authority) -> None:
    page = client.get(f"/authorities/{bra.id}")
    assert '<a href="tel:+556120253000" dir="ltr">+55 61 2025-3000</a>' in page.text


def test_a_language_written_twice_in_a_text_map_is_refused_beside_the_second_row(
        client: TestClient, session: Session, bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    page = client.get(f"/authorities/{bra.id}/edit")
    fields = form_fields(page.text)
    other = next(name for name, value in fields
                 if name.startswith("name/") and name.endswith("/lang") and value == "")
    row = other.removesuffix("/lang")
    fields = replaced(fields, **{other.replace("/", "__"): "en",
                                 f"{row}/text".replace("/", "__"): "Another English name"})
    response = _post(client, f"/authorities/{bra.id}/edit", fields)
    assert response.status_code == 422
    # Empty rows are offered again after the filled ones, so the row may have moved up.
    kept = re.search(r'name="(name/\d+/text)" value="Another English name"', response.text)
    assert kept, "what was typed is kept"
    assert _error_beside(response.text, kept.group(1)) == \
        i18n.strings("en")["rf_err_language_twice"]
    session.expire_all()
    assert session.get(Authority, bra.id).version == 1  # type: ignore[union-attr]


def test_the_record_page_links_the_secretariat_to_the_form(
        client: TestClient, session: Session, bra: Authority) -> None:
    link = f'href="/authorities/{bra.id}/edit?lang=en"'
    assert link not in client.get(f"/authorities/{bra.id}?lang=en").text
    signed_in(client, session, Role.secretariat)
    assert link in client.get(f"/authorities/{bra.id}?lang=en").text


def test_a_new_record_whose_ref_is_taken_is_refused_beside_the_ref(
        client: TestClient, session: Session, bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    page = client.get("/authorities/new?country=BRA&lang=es")
    fields = [(n, v) for n, v in form_fields(page.text, "/authorities/new")
              if n in ("csrf", "nonce")] + _fields_of(rf.draft_from_record(make_record()))
    response = _post(client, "/authorities/new?lang=es", fields)
    assert response.status_code == 409
    assert _error_beside(response.text, "ref") == i18n.strings("es")["rf_err_ref_taken"]
    assert len(session.scalars(select(Authority)).all()) == 1


def test_old_nonces_are_forgotten_when_a_form_is_sent(client: TestClient, session: Session,
                                                      bra: Authority) -> None:
    from datetime import UTC, datetime, timedelta

    from app.web.edit_service import NONCE_DAYS
    from app.web.form_models import FormSubmission

    signed_in(client, session, Role.focal_point, countries=["BRA"])
    fields = replaced(form_fields(client.get(f"/authorities/{bra.id}/edit").text),
                      reason="first")
    assert _post(client, f"/authorities/{bra.id}/edit", fields).status_code == 303
    row = session.scalars(select(FormSubmission)).one()
    old_digest = row.nonce_digest
    row.created_at = datetime.now(UTC) - timedelta(days=NONCE_DAYS + 1)
    session.add(row)
    session.commit()
    fields = replaced(form_fields(client.get(f"/authorities/{bra.id}/edit").text),
                      reason="second")
    assert _post(client, f"/authorities/{bra.id}/edit", fields).status_code == 303
    session.expire_all()
    remaining = session.scalars(select(FormSubmission)).all()
    assert len(remaining) == 1 and remaining[0].nonce_digest != old_digest


def test_a_time_zone_outside_the_lists_is_kept(client: TestClient, session: Session,
                                               reference: ReferenceData) -> None:
    authority = store(session, reference, make_record(time_zone="Etc/GMT+3")).authority
    signed_in(client, session, Role.secretariat)
    fields = form_fields(client.get(f"/authorities/{authority.id}/edit").text)
    assert ("time_zone", "Etc/GMT+3") in fields


def test_the_secretariats_edit_posted_twice_is_made_once(client: TestClient, session: Session,
                                                         bra: Authority) -> None:
    signed_in(client, session, Role.secretariat)
    fields = replaced(form_fields(client.get(f"/authorities/{bra.id}/edit").text),
                      acronym="DRCI-2", reason="acronym")
    first = _post(client, f"/authorities/{bra.id}/edit", fields)
    second = _post(client, f"/authorities/{bra.id}/edit", fields)
    assert first.status_code == second.status_code == 303  # not a conflict with itself
    assert first.headers["location"] == second.headers["location"]
    session.expire_all()
    stored = session.get(Authority, bra.id)
    assert stored is not None and stored.version == 2 and stored.acronym == "DRCI-2"
