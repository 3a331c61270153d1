"""Loading regional networks from seed_data and reading them.  All their SQL is here."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from app.core.i18n import pick
from app.networks.models import Network, NetworkMember
from app.reference.data import read_json


def seed_networks(session: Session) -> int:
    """Upsert every network of seed_data/reference/networks.json and set its members to
    exactly the listed States (idempotent)."""
    raw = read_json("networks.json")
    for n in raw:
        row = {
            "code": n["code"], "acronym": n["acronym"], "name": n["name"],
            "website": n.get("website"), "region": n.get("region"),
            "secure_channel": bool(n.get("secure_channel", False)),
            "members_as_of": date.fromisoformat(n["members_as_of"])
            if n.get("members_as_of") else None,
            "source": n["source"], "notes": n.get("notes"),
        }
        stmt = insert(Network).values(row)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["code"], set_={k: stmt.excluded[k] for k in row if k != "code"}))
        members = sorted(set(n["members"]))
        session.execute(delete(NetworkMember).where(
            col(NetworkMember.network_code) == n["code"],
            col(NetworkMember.country).not_in(members)))
        if members:
            session.execute(insert(NetworkMember).values(
                [{"network_code": n["code"], "country": c} for c in members]
            ).on_conflict_do_nothing())
    return len(raw)


def _members(session: Session, codes: list[str] | None = None) -> dict[str, list[str]]:
    stmt = select(NetworkMember.network_code, NetworkMember.country).order_by(
        col(NetworkMember.network_code), col(NetworkMember.country))
    if codes is not None:
        stmt = stmt.where(col(NetworkMember.network_code).in_(codes))
    out: dict[str, list[str]] = {}
    for code, country in session.execute(stmt):
        out.setdefault(code, []).append(country)
    return out


def list_networks(session: Session, country: str | None = None
                  ) -> list[tuple[Network, list[str]]]:
    """Every network (or those ``country`` belongs to), with its members."""
    stmt = select(Network).order_by(col(Network.code))
    if country is not None:
        stmt = stmt.where(col(Network.code).in_(
            select(NetworkMember.network_code).where(col(NetworkMember.country) == country)))
    networks = list(session.scalars(stmt))
    members = _members(session, [n.code for n in networks])
    return [(n, members.get(n.code, [])) for n in networks]


def get_network(session: Session, code: str) -> tuple[Network, list[str]] | None:
    network = session.get(Network, code.strip().lower())
    if network is None:
        return None
    return network, _members(session, [network.code]).get(network.code, [])


def shared_networks(session: Session, a: str, b: str) -> list[Network]:
    """Networks both States belong to."""
    both = (select(NetworkMember.network_code)
            .where(col(NetworkMember.country).in_([a, b]))
            .group_by(col(NetworkMember.network_code))
            .having(func.count(func.distinct(NetworkMember.country)) == (1 if a == b else 2)))
    return list(session.scalars(select(Network).where(col(Network.code).in_(both))
                                .order_by(col(Network.code))))


@cache
def network_purposes() -> dict[str, str]:
    """code -> what the network is for (``judicial_cooperation`` or ``asset_recovery``),
    from the shipped networks.json: reference documentation, read once."""
    return {n["code"]: n.get("purpose", "judicial_cooperation")
            for n in read_json("networks.json")}


def network_out(network: Network, members: list[str] | None, prefs: list[str]
                ) -> dict[str, Any]:
    """A network in the API's shape, its name and notes in the caller's language."""
    tag, name = pick(network.name, prefs)
    out: dict[str, Any] = {
        "code": network.code, "acronym": network.acronym,
        "purpose": network_purposes().get(network.code, "judicial_cooperation"),
        "name": name, "name_lang": tag,
        "names": network.name, "website": network.website,
        "region": pick(network.region, prefs)[1],
        "secure_channel": network.secure_channel,
        "members_as_of": network.members_as_of.isoformat() if network.members_as_of else None,
        "source": network.source, "notes": pick(network.notes, prefs)[1],
    }
    if members is not None:
        out["members"] = members
    return out
