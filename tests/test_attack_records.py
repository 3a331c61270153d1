"""Issue 11 (hold under attack): proposals that would overwrite or escape their country,
history that leaks across countries or to anonymous callers, and empty country lists
that meant "every country"."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.access.models import ApiKey
from app.access.principal import Role
from app.access.service import create_key
from app.accounts.models import Account
from app.changes.models import Change, Revision
from app.core.settings import get_settings
from app.db import engine as db_engine
from app.proposals.models import Proposal
from tests.conftest import make_record


def _key(session: Session, role: Role, countries: list[str] | None = None) -> dict[str, str]:
    key, _ = create_key(session, role, countries=countries)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return _key(session, Role.secretariat)


@pytest.fixture
def focal_bra(session: Session) -> dict[str, str]:
    return _key(session, Role.focal_point, ["BRA"])


def _written_rows(session: Session) -> tuple[int, int]:
    session.expire_all()
    revisions = session.scalar(select(func.count()).select_from(Revision)) or 0
    changes = session.scalar(select(func.count()).select_from(Change)) or 0
    return revisions, changes


def _create(client: TestClient, admin: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/authorities", headers=admin, json=make_record(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _fra(**overrides: Any) -> dict[str, Any]:
    """The fields that make the test record a valid French one."""
    return {"country": "FRA", "phones": [], "emails": [], "time_zone": "Europe/Paris",
            **overrides}


# --------------------------------------------------------------------------- item 2


def test_a_create_proposal_for_an_existing_ref_is_refused(
        client: TestClient, admin: dict[str, str], focal_bra: dict[str, str],
        session: Session) -> None:
    existing = _create(client, admin)
    before = _written_rows(session)
    response = client.post("/v1/proposals", headers=focal_bra, json={
        "action": "create", "record": make_record(name={"en": "Hijacked"}, contacts=[])})
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0
    assert client.get(f"/v1/authorities/{existing['id']}", headers=admin).json() == existing
    assert _written_rows(session) == before


def test_approving_a_create_whose_ref_was_taken_meanwhile_is_a_conflict(
        client: TestClient, admin: dict[str, str], focal_bra: dict[str, str],
        session: Session) -> None:
    proposal = client.post("/v1/proposals", headers=focal_bra, json={
        "action": "create", "record": make_record(name={"en": "Hijacked"}, contacts=[])})
    assert proposal.status_code == 201, proposal.text
    existing = _create(client, admin)  # same country and ref, created after the proposal
    before = _written_rows(session)

    decided = client.post(f"/v1/proposals/{proposal.json()['id']}/approve", headers=admin,
                          json={"comment": "looks fine"})
    assert decided.status_code == 409, decided.text
    assert decided.headers["content-type"].startswith("application/problem+json")
    assert decided.json()["proposal"]["status"] == "conflict"
    stored = client.get(f"/v1/proposals/{proposal.json()['id']}", headers=admin).json()
    assert stored["status"] == "conflict" and stored["result_version"] is None
    assert stored["authority_id"] is None
    assert client.get(f"/v1/authorities/{existing['id']}", headers=admin).json() == existing
    assert _written_rows(session) == before
    again = client.post(f"/v1/proposals/{proposal.json()['id']}/approve", headers=admin,
                        json={"comment": "retry"})
    assert again.status_code == 409
    listed = client.get("/v1/proposals?status=conflict", headers=admin)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == [proposal.json()["id"]]


def test_a_proposal_cannot_name_a_version_the_record_has_not_reached(
        client: TestClient, admin: dict[str, str], focal_bra: dict[str, str]) -> None:
    created = _create(client, admin)
    for action, extra in (("update", {"record": make_record(acronym="LATER")}),
                          ("withdraw", {})):
        response = client.post("/v1/proposals", headers=focal_bra, json={
            "action": action, "authority_id": created["id"], "base_version": 2, **extra})
        assert response.status_code == 422, (action, response.text)
        assert [e["pointer"] for e in response.json()["errors"]] == ["/body/base_version"]


def test_an_update_proposal_on_a_record_moved_to_another_country_is_not_applied(
        client: TestClient, admin: dict[str, str], focal_bra: dict[str, str],
        session: Session) -> None:
    created = _create(client, admin)
    proposal = client.post("/v1/proposals", headers=focal_bra, json={
        "action": "update", "authority_id": created["id"], "base_version": 1,
        "record": make_record(acronym="PROP")}).json()
    moved = client.put(f"/v1/authorities/{created['id']}",
                       headers={**admin, "If-Match": '"1-full"'},
                       json=make_record(**_fra(ref="FR-1")))
    assert moved.status_code == 200, moved.text
    before = _written_rows(session)

    decided = client.post(f"/v1/proposals/{proposal['id']}/approve", headers=admin,
                          json={"comment": "ok"})
    assert decided.status_code == 409, decided.text
    assert decided.json()["proposal"]["status"] in ("stale", "conflict")
    assert client.get(f"/v1/authorities/{created['id']}", headers=admin).json() == moved.json()
    assert _written_rows(session) == before


def test_approval_checks_the_country_even_when_the_version_matches(
        client: TestClient, admin: dict[str, str], session: Session) -> None:
    """A pending proposal naming a future version (accepted before base_version was
    checked) must not pull a record back into the proposer's country."""
    created = _create(client, admin)
    proposal_id = uuid.uuid4()
    document = make_record(acronym="BACK")
    session.add(Proposal(id=proposal_id, action="update", country="BRA",
                         authority_id=uuid.UUID(created["id"]), base_version=2,
                         document=document, status="pending", proposed_by="key:0badc0de"))
    session.commit()
    moved = client.put(f"/v1/authorities/{created['id']}",
                       headers={**admin, "If-Match": '"1-full"'},
                       json=make_record(**_fra(ref="FR-1")))
    assert moved.status_code == 200 and moved.json()["version"] == 2
    before = _written_rows(session)

    decided = client.post(f"/v1/proposals/{proposal_id}/approve", headers=admin,
                          json={"comment": "ok"})
    assert decided.status_code == 409, decided.text
    assert decided.json()["proposal"]["status"] == "conflict"
    assert client.get(f"/v1/authorities/{created['id']}", headers=admin).json() == moved.json()
    assert _written_rows(session) == before


def test_an_update_proposal_taking_another_records_ref_is_a_conflict(
        client: TestClient, admin: dict[str, str], focal_bra: dict[str, str],
        session: Session) -> None:
    first = _create(client, admin)
    second = _create(client, admin, ref="BRA-OTHER")
    proposal = client.post("/v1/proposals", headers=focal_bra, json={
        "action": "update", "authority_id": second["id"],
        "record": make_record(ref="BRA-DRCI")}).json()
    before = _written_rows(session)
    decided = client.post(f"/v1/proposals/{proposal['id']}/approve", headers=admin,
                          json={"comment": "ok"})
    assert decided.status_code == 409, decided.text
    assert decided.json()["proposal"]["status"] == "conflict"
    assert client.get(f"/v1/authorities/{first['id']}", headers=admin).json() == first
    assert client.get(f"/v1/authorities/{second['id']}", headers=admin).json() == second
    assert _written_rows(session) == before


# --------------------------------------------------------------------------- item 10


def _moved_record(client: TestClient, admin: dict[str, str]) -> str:
    """v1 FRA with a named contact, v2 FRA, v3 moved to BRA without contacts, v4 back to
    FRA.  Returns the record's URL."""
    contact = [{"name": "Jean Secret", "phones": [],
                "emails": [{"address": "jean.secret@justice.example.fr"}]}]
    created = _create(client, admin, **_fra(ref="MOVER", acronym="BEFORE", contacts=contact))
    url = f"/v1/authorities/{created['id']}"
    steps = [make_record(**_fra(ref="MOVER", acronym="FRA-ERA", contacts=contact)),
             make_record(ref="MOVER", acronym="BRA-ERA", contacts=[]),
             make_record(**_fra(ref="MOVER", acronym="FRA-AGAIN", contacts=[]))]
    for version, body in enumerate(steps, start=1):
        response = client.put(url, headers={**admin, "If-Match": f'"{version}-full"'},
                              json=body, params={"reason": f"step {version}"})
        assert response.status_code == 200, response.text
    return url


def test_a_scoped_key_sees_only_the_versions_of_its_countries(
        client: TestClient, admin: dict[str, str], session: Session) -> None:
    url = _moved_record(client, admin)
    network_bra = _key(session, Role.network, ["BRA"])

    response = client.get(f"{url}/history", headers=network_bra)
    assert response.status_code == 200, response.text
    versions = response.json()["versions"]
    assert [v["version"] for v in versions] == [3]
    assert versions[0]["changes"] == []
    for secret in ("Jean Secret", "jean.secret@", "FRA-ERA", "FRA-AGAIN", "BEFORE",
                   "Europe/Paris", "step 1", "step 3"):
        assert secret not in response.text, secret
    for version, status in ((1, 404), (2, 404), (3, 200), (4, 404)):
        got = client.get(f"{url}/versions/{version}", headers=network_bra)
        assert got.status_code == status, (version, got.status_code)


def test_a_scoped_key_diffs_against_the_last_version_it_may_see(
        client: TestClient, admin: dict[str, str], session: Session) -> None:
    url = _moved_record(client, admin)
    network_fra = _key(session, Role.network, ["FRA"])
    response = client.get(f"{url}/history", headers=network_fra)
    versions = response.json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 4]
    changes = {c["path"]: (c["old"], c["new"]) for c in versions[2]["changes"]}
    assert changes["/acronym"] == ("FRA-ERA", "FRA-AGAIN")  # v2 → v4, not v3 → v4
    assert "BRA-ERA" not in response.text and "America/Sao_Paulo" not in response.text
    assert "step 2" not in response.text
    network_arg = _key(session, Role.network, ["ARG"])
    assert client.get(f"{url}/history", headers=network_arg).status_code == 404
    full = client.get(f"{url}/history", headers=admin).json()["versions"]
    assert [v["version"] for v in full] == [1, 2, 3, 4]


# --------------------------------------------------------------------------- item 14b


def test_public_history_shows_only_public_changes_without_actor_or_reason(
        client: TestClient, admin: dict[str, str]) -> None:
    created = _create(client, admin)
    url = f"/v1/authorities/{created['id']}"
    hidden = client.patch(url, headers={**admin, "If-Match": '"1-full"'},
                          params={"reason": "contact moved to the cybercrime unit"},
                          json={"contacts": [{"name": "Maria Secret", "phones": [],
                                              "emails": []}]})
    assert hidden.status_code == 200, hidden.text
    public = client.patch(url, headers={**admin, "If-Match": '"2-full"'},
                          params={"reason": "renamed by decree 123"}, json={"acronym": "DRCI-X"})
    assert public.status_code == 200, public.text

    anonymous = client.get(f"{url}/history")
    assert anonymous.status_code == 200
    versions = anonymous.json()["versions"]
    assert [v["version"] for v in versions] == [1, 3]
    assert all(v["actor"] is None and v["role"] is None and v["reason"] is None
               for v in versions)
    assert versions[1]["changes"] == [{"path": "/acronym", "old": "DRCI", "new": "DRCI-X"}]
    for secret in ("key:", "cybercrime", "decree", "Maria Secret"):
        assert secret not in anonymous.text, secret

    official = _key_headers(client, admin, "official")
    for headers in (admin, official):
        full = client.get(f"{url}/history", headers=headers).json()["versions"]
        assert [v["version"] for v in full] == [1, 2, 3]
        assert full[1]["reason"] == "contact moved to the cybercrime unit"
        assert full[1]["actor"].startswith("key:") and full[1]["role"] == "secretariat"


def _key_headers(client: TestClient, admin: dict[str, str], role: str) -> dict[str, str]:
    created = client.post("/v1/keys", headers=admin, json={"role": role})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['key']}"}


# --------------------------------------------------------------------------- item 11


def test_an_empty_country_list_is_refused_not_read_as_every_country(
        client: TestClient, admin: dict[str, str], session: Session) -> None:
    response = client.post("/v1/keys", headers=admin,
                           json={"role": "network", "countries": []})
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["/body/countries"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ApiKey)) == 1  # the admin's
    network = _key(session, Role.network)
    hook = client.post("/v1/webhooks", headers=network,
                       json={"url": "https://hooks.example.org/cna", "countries": []})
    assert hook.status_code == 422, hook.text
    assert "/body/countries" in [e["pointer"] for e in hook.json()["errors"]]


def test_the_cli_refuses_an_empty_country_list(db_url: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.main import app as cli

    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        for countries in ("", " , "):
            result = CliRunner().invoke(cli, ["keys", "create", "--role", "network",
                                              "--countries", countries])
            assert result.exit_code == 2, (countries, result.output)
            invited = CliRunner().invoke(cli, ["accounts", "invite", "net@example.org",
                                               "--role", "network", "--countries", countries])
            assert invited.exit_code == 2, (countries, invited.output)
            assert "at least one country" in invited.output
    finally:
        get_settings.cache_clear()
    db_engine.configure_engine(db_url)
    with Session(db_engine.get_engine()) as session:
        assert session.scalars(select(col(ApiKey.prefix))).all() == []
        assert session.scalars(select(col(Account.email))).all() == []
