"""The password-reset and access-request pages over HTTP: the same answer for an unknown
address as for a known one (body and status), the messages beside the fields, a form
that keeps what was typed, the limits shared with the API, an oversized form, and a POST
without its CSRF token refused with nothing changed.  The browser flows are in
tests/test_web_people_flows_browser.py."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from app.access.principal import Role
from app.access.service import create_key
from app.accounts.access_request_models import AccessRequest
from app.accounts.models import Account, PasswordReset
from app.mail.models import MailMessage
from app.web import i18n
from tests.conftest import settings_env
from tests.test_accounts import PASSWORD, auth, invitation_token
from tests.test_web_accounts import OTHER_PASSWORD, accept, csrf_of, invited, sign_in

CSRF_HEADER = "X-CSRF-Token"
EN = i18n.strings("en")


@pytest.fixture
def secretariat(session: Session) -> str:
    key = create_key(session, Role.secretariat)[0]
    session.commit()
    return key


def active_official(client: TestClient, session: Session, key: str, bra: Any,
                    email: str = "ana@example.org") -> str:
    assert accept(client, invited(client, session, key, bra, email)).status_code == 303
    return email


def mails_to(session: Session, email: str, template: str) -> list[MailMessage]:
    session.expire_all()
    return list(session.scalars(select(MailMessage)
                                .where(col(MailMessage.recipient) == email)
                                .where(col(MailMessage.template) == template)).all())


def reset_token(session: Session, email: str) -> str:
    mail = mails_to(session, email, "password_reset")[-1]
    found = re.search(r"/password-reset/([A-Za-z0-9_-]+)", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


def ask_reset(client: TestClient, email: str) -> Any:
    form = client.get("/password-reset")
    assert form.status_code == 200
    return client.post("/password-reset", data={"csrf": csrf_of(form.text), "email": email})


# -- password reset ------------------------------------------------------------------------

def test_asking_for_a_reset_answers_an_unknown_address_as_a_known_one(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    email = active_official(client, session, secretariat, bra)
    known = ask_reset(client, email.upper())
    unknown = ask_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert EN["reset_sent"] in known.text
    assert len(mails_to(session, email, "password_reset")) == 1
    assert mails_to(session, "nobody@example.org", "password_reset") == []
    session.expire_all()
    assert session.scalars(select(func.count()).select_from(PasswordReset)).one() == 1


def test_the_reset_mail_link_is_the_page_that_sets_the_password(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    email = active_official(client, session, secretariat, bra)
    other = TestClient(client.app)
    assert sign_in(other, email).status_code == 303
    assert other.get("/v1/me").json()["kind"] == "session"
    ask_reset(client, email)
    token = reset_token(session, email)

    form = client.get(f"/password-reset/{token}")
    assert form.status_code == 200
    short = client.post(f"/password-reset/{token}", data={"csrf": csrf_of(form.text),
                                                         "password": "short"})
    assert short.status_code == 422
    assert 'id="password-error"' in short.text and 'aria-invalid="true"' in short.text
    assert EN["password_too_short"] in short.text
    done = client.post(f"/password-reset/{token}",
                       data={"csrf": csrf_of(short.text), "password": OTHER_PASSWORD},
                       follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/sign-in?")
    assert "done=password_set" in done.headers["location"]

    assert other.get("/v1/me").json()["kind"] == "anonymous"  # its session has ended
    assert sign_in(client, email, PASSWORD).status_code == 401
    assert sign_in(client, email, OTHER_PASSWORD).status_code == 303
    used = client.get(f"/password-reset/{token}")
    assert used.status_code == 410 and EN["reset_link_used"] in used.text
    again = client.post(f"/password-reset/{token}", data={"csrf": csrf_of(form.text),
                                                         "password": OTHER_PASSWORD})
    assert again.status_code == 410 and EN["reset_link_used"] in again.text


def test_unknown_and_expired_reset_links_say_so_on_the_page(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    unknown = client.get("/password-reset/not-a-real-token?lang=fr")
    assert unknown.status_code == 404
    assert i18n.strings("fr")["reset_link_invalid"] in unknown.text
    malformed = client.get("/password-reset/" + "x" * 500 + "?lang=en")
    assert malformed.status_code == 404 and EN["reset_link_invalid"] in malformed.text
    email = active_official(client, session, secretariat, bra)
    ask_reset(client, email)
    token = reset_token(session, email)
    session.execute(update(PasswordReset).values(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    session.commit()
    expired = client.get(f"/password-reset/{token}?lang=en")
    assert expired.status_code == 410 and EN["reset_link_expired"] in expired.text


def test_reset_requests_share_the_limit_of_the_api(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    email = active_official(client, session, secretariat, bra)
    with settings_env(CNA_PASSWORD_RESET_PER_HOUR="2"):
        assert client.post("/v1/password-reset", json={"email": email}).status_code == 202
        assert ask_reset(client, email).status_code == 200
        refused = ask_reset(client, email)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert EN["reset_wait"] in refused.text and 'id="reset-error"' in refused.text
        assert f'value="{email}"' in refused.text
        assert client.post("/v1/password-reset", json={"email": email}).status_code == 429
    assert len(mails_to(session, email, "password_reset")) == 2


def test_reset_forms_without_the_csrf_token_are_refused_and_change_nothing(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    email = active_official(client, session, secretariat, bra)
    client.get("/password-reset")
    refused = client.post("/password-reset", data={"email": email})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert mails_to(session, email, "password_reset") == []

    ask_reset(client, email)
    token = reset_token(session, email)
    client.get(f"/password-reset/{token}")
    for data in ({"password": OTHER_PASSWORD},
                 {"password": OTHER_PASSWORD, "csrf": "forged"}):
        refused = client.post(f"/password-reset/{token}", data=data)
        assert refused.status_code == 403
    assert client.get(f"/password-reset/{token}").status_code == 200  # still unused
    assert sign_in(client, email, PASSWORD).status_code == 303  # the old password works


def test_an_oversized_reset_form_is_refused(client: TestClient, session: Session) -> None:
    form = client.get("/password-reset")
    refused = client.post("/password-reset", data={"csrf": csrf_of(form.text),
                                                   "email": "a" * 20_000 + "@example.org"})
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    empty = client.post("/password-reset", data={"csrf": csrf_of(form.text), "email": " "})
    assert empty.status_code == 422 and EN["reset_email_needed"] in empty.text


# -- requesting access ---------------------------------------------------------------------

def request_form(client: TestClient, q: str = "") -> Any:
    page = client.get("/request-access", params={"q": q} if q else None)
    assert page.status_code == 200, page.text
    return page


def ask_access(client: TestClient, bra: Any, email: str, **fields: str) -> Any:
    page = request_form(client)
    return client.post("/request-access", data={
        "csrf": csrf_of(page.text), "email": email, "name": "Rui Costa",
        "authority_id": str(bra.id), "position": "Prosecutor",
        "justification": "I send mutual legal assistance requests.", **fields})


def requests_of(session: Session, email: str) -> list[AccessRequest]:
    session.expire_all()
    return list(session.scalars(select(AccessRequest)
                                .where(col(AccessRequest.email) == email)).all())


def test_the_authority_is_picked_with_the_directorys_search(
        client: TestClient, session: Session, bra: Any) -> None:
    page = request_form(client, q=bra.name["en"].split()[0])
    assert f'value="{bra.id}"' in page.text and 'type="radio"' in page.text
    nothing = request_form(client, q="zzqxqzzqxq")
    assert 'data-empty="authorities"' in nothing.text and 'type="radio"' not in nothing.text


def test_a_private_directory_lists_only_names_and_countries_to_choose_from(
        client: TestClient, session: Session, bra: Any) -> None:
    with settings_env(CNA_PUBLIC_READ="false"):
        assert client.get("/v1/search", params={"q": "x"}).status_code == 401
        page = request_form(client, q=bra.name["en"].split()[0])
    assert f'value="{bra.id}"' in page.text and bra.country in page.text
    assert "Duty officer" not in page.text and "@" not in page.text.split("<main")[1]


def test_requesting_access_answers_an_unknown_address_as_a_known_one(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    email = active_official(client, session, secretariat, bra)
    known = ask_access(client, bra, email)
    unknown = ask_access(client, bra, "rui@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert EN["request_sent"] in known.text
    assert [r.status for r in requests_of(session, email)] == ["existing_account"]
    assert [r.status for r in requests_of(session, "rui@example.org")] == ["pending"]


def test_each_bad_field_gets_a_message_beside_it_and_the_form_keeps_what_was_typed(
        client: TestClient, session: Session, bra: Any) -> None:
    page = request_form(client)
    refused = client.post("/request-access?lang=es", data={
        "csrf": csrf_of(page.text), "email": "not an address", "name": "Rui\nCosta",
        "authority_id": "", "position": "", "justification": "j" * 2001})
    assert refused.status_code == 422
    es = i18n.strings("es")
    for field, key in (("email", "request_email_invalid"), ("name", "request_name_needed"),
                       ("authority_id", "request_authority_needed"),
                       ("position", "request_position_needed"),
                       ("justification", "request_justification_needed")):
        assert f'id="{field}-error"' in refused.text, field
        assert es[key] in refused.text
    assert 'value="not an address"' in refused.text
    assert "j" * 2001 in refused.text
    unknown = client.post("/request-access", data={
        "csrf": csrf_of(page.text), "email": "rui@example.org", "name": "Rui Costa",
        "authority_id": str(uuid.uuid4()), "position": "Prosecutor",
        "justification": "Requests."})
    assert unknown.status_code == 422 and 'id="authority_id-error"' in unknown.text
    assert 'value="rui@example.org"' in unknown.text
    invalid_address = ask_access(client, bra, "rui@@example.org")
    assert invalid_address.status_code == 422 and 'id="email-error"' in invalid_address.text
    assert requests_of(session, "rui@example.org") == []


def test_requests_share_the_budget_of_the_api(client: TestClient, session: Session,
                                              bra: Any) -> None:
    with settings_env(CNA_ACCESS_REQUESTS_PER_DAY="2"):
        assert client.post("/v1/access-requests", json={
            "email": "rui@example.org", "name": "Rui", "authority_id": str(bra.id),
            "position": "P", "justification": "J"}).status_code == 202
        assert ask_access(client, bra, "rui@example.org").status_code == 200
        refused = ask_access(client, bra, "rui@example.org")
        assert refused.status_code == 429 and "retry-after" in refused.headers
        assert EN["request_wait"] in refused.text and 'value="Rui Costa"' in refused.text
    assert len(requests_of(session, "rui@example.org")) == 2


def test_request_forms_without_csrf_or_oversized_are_refused_and_store_nothing(
        client: TestClient, session: Session, bra: Any) -> None:
    request_form(client)
    fields = {"email": "rui@example.org", "name": "Rui Costa", "authority_id": str(bra.id),
              "position": "Prosecutor", "justification": "Requests."}
    refused = client.post("/request-access", data=fields)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    page = request_form(client)
    oversized = client.post("/request-access", data={
        **fields, "csrf": csrf_of(page.text), "justification": "j" * 20_000})
    assert oversized.status_code == 413
    assert requests_of(session, "rui@example.org") == []


# -- deciding ------------------------------------------------------------------------------

def signed_in_with_totp(client: TestClient, session: Session, key: str, email: str,
                        role: str, **scope: Any) -> str:
    """An account of a role that needs a second factor, signed in on ``client`` with it
    enrolled (pyotp computes the code from the secret the enrolment API returns); the
    session's CSRF token."""
    invited_account = client.post("/v1/accounts", headers=auth(key), json={
        "email": email, "display_name": email.split("@")[0].title(), "role": role,
        **scope})
    assert invited_account.status_code == 201, invited_account.text
    token = invitation_token(session, email)
    assert client.post(f"/v1/invitations/{token}/accept",
                       json={"password": PASSWORD}).status_code == 200
    signed_in = client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    csrf: str = signed_in.json()["csrf_token"]
    started = client.post("/v1/me/totp", headers={CSRF_HEADER: csrf})
    assert started.status_code == 201, started.text
    confirmed = client.post("/v1/me/totp/confirm", headers={CSRF_HEADER: csrf},
                            json={"code": pyotp.TOTP(started.json()["secret"]).now()})
    assert confirmed.status_code == 200, confirmed.text
    return csrf


def test_the_focal_point_of_the_state_approves_and_refuses_on_the_page(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    ask_access(client, bra, "rui@example.org")
    ask_access(client, bra, "eva@example.org", name="Eva Lima")
    visitor = TestClient(client.app)
    assert visitor.get("/access-requests", follow_redirects=False).status_code == 303
    focal = TestClient(client.app)
    signed_in_with_totp(focal, session, secretariat, "focal@example.org", "focal_point",
                        countries=["BRA"])
    listing = focal.get("/access-requests")
    assert listing.status_code == 200
    assert "rui@example.org" in listing.text and "Eva Lima" in listing.text
    assert 'href="/access-requests?lang=en"' in listing.text  # the header links it
    assert 'name="role"' not in listing.text  # a focal point approves officials only
    rui = requests_of(session, "rui@example.org")[0]
    eva = requests_of(session, "eva@example.org")[0]

    refused = focal.post(f"/access-requests/{rui.id}/approve", data={"role": "official"})
    assert refused.status_code == 403
    assert requests_of(session, "rui@example.org")[0].status == "pending"

    csrf = csrf_of(listing.text)
    approved = focal.post(f"/access-requests/{rui.id}/approve", follow_redirects=False,
                          data={"csrf": csrf, "role": "official"})
    assert approved.status_code == 303 and "done=approved" in approved.headers["location"]
    wider = focal.post(f"/access-requests/{eva.id}/approve",
                       data={"csrf": csrf, "role": "secretariat"})
    assert wider.status_code == 403 and EN["request_not_yours"] in wider.text
    rejected = focal.post(f"/access-requests/{eva.id}/reject", data={"csrf": csrf})
    assert rejected.status_code == 200 and EN["request_rejected"] in rejected.text
    twice = focal.post(f"/access-requests/{eva.id}/reject", data={"csrf": csrf})
    assert twice.status_code == 409 and EN["request_decided_already"] in twice.text

    assert [r.status for r in requests_of(session, "rui@example.org")] == ["approved"]
    assert len(mails_to(session, "rui@example.org", "invitation")) == 1
    assert len(mails_to(session, "eva@example.org", "access_request_rejected")) == 1
    account = session.scalars(select(Account).where(
        col(Account.email) == "rui@example.org")).one()
    assert account.role == "official" and account.status == "invited"


def test_other_states_and_roles_do_not_see_the_requests(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    ask_access(client, bra, "rui@example.org")
    focal = TestClient(client.app)
    signed_in_with_totp(focal, session, secretariat, "fra@example.org", "focal_point",
                        countries=["FRA"])
    listing = focal.get("/access-requests")
    assert listing.status_code == 200 and "rui@example.org" not in listing.text
    assert 'data-empty="requests"' in listing.text
    rui = requests_of(session, "rui@example.org")[0]
    gone = focal.post(f"/access-requests/{rui.id}/approve",
                      data={"csrf": csrf_of(listing.text)})
    assert gone.status_code == 404 and EN["request_gone"] in gone.text
    official = TestClient(client.app)
    active_official(official, session, secretariat, bra, "off@example.org")
    assert sign_in(official, "off@example.org").status_code == 303
    page = official.get("/access-requests")
    assert page.status_code == 403 and EN["requests_not_for_you"] in page.text
    assert "/access-requests?lang" not in official.get("/account").text
    assert requests_of(session, "rui@example.org")[0].status == "pending"


def test_the_secretariat_chooses_the_role_and_countries(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    ask_access(client, bra, "rui@example.org")
    desk = TestClient(client.app)
    signed_in_with_totp(desk, session, secretariat, "desk@example.org", "secretariat")
    listing = desk.get("/access-requests")
    assert 'name="role"' in listing.text and 'name="countries"' in listing.text
    rui = requests_of(session, "rui@example.org")[0]
    wrong = desk.post(f"/access-requests/{rui.id}/approve", data={
        "csrf": csrf_of(listing.text), "role": "focal_point", "countries": "QQQ"})
    assert wrong.status_code == 422 and f'id="countries-error-{rui.id}"' in wrong.text
    done = desk.post(f"/access-requests/{rui.id}/approve", follow_redirects=False, data={
        "csrf": csrf_of(listing.text), "role": "focal_point", "countries": "bra"})
    assert done.status_code == 303
    account = session.scalars(select(Account).where(
        col(Account.email) == "rui@example.org")).one()
    assert account.role == "focal_point" and account.countries == ["BRA"]


def test_a_focal_point_without_its_second_factor_is_asked_to_enrol_first(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    ask_access(client, bra, "rui@example.org")
    focal = TestClient(client.app)
    assert focal.post("/v1/accounts", headers=auth(secretariat), json={
        "email": "new@example.org", "display_name": "New", "role": "focal_point",
        "countries": ["BRA"]}).status_code == 201
    token = invitation_token(session, "new@example.org")
    assert focal.post(f"/v1/invitations/{token}/accept",
                      json={"password": PASSWORD}).status_code == 200
    csrf = focal.post("/v1/sessions", json={"email": "new@example.org",
                                            "password": PASSWORD}).json()["csrf_token"]
    page = focal.get("/access-requests")
    assert page.status_code == 403 and EN["requests_enrol_first"] in page.text
    assert "rui@example.org" not in page.text
    rui = requests_of(session, "rui@example.org")[0]
    refused = focal.post(f"/access-requests/{rui.id}/approve", data={"csrf": csrf})
    assert refused.status_code == 403
    assert requests_of(session, "rui@example.org")[0].status == "pending"
