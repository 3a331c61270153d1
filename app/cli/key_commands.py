"""`cna keys`: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from app.cli.common import (
    alpha3_codes,
    err,
    fail,
    open_database,
    parse_role,
    requested_countries,
)
from app.db import engine as db_engine

commands = typer.Typer(name="keys", help="Manage API keys.", no_args_is_help=True)


@commands.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="official, network, focal_point or secretariat")],
    countries: Annotated[str | None, typer.Option(help="Comma-separated ISO codes, e.g. "
                                                        "BRA,ARG")] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry date, YYYY-MM-DD (UTC)")] = None,
    label: Annotated[str | None, typer.Option(help="Who or what the key is for")] = None,
) -> None:
    """Create a key. It is printed once, on stdout; only its digest is stored."""
    from datetime import UTC, datetime

    from app.access.service import create_key, key_expiry
    from app.reference.service import load_reference

    chosen_role = parse_role(role)
    expires_at = None
    if expires:
        try:
            expires_at = datetime.fromisoformat(expires).replace(tzinfo=UTC)
        except ValueError:
            raise fail(f"--expires must be a date like 2027-12-31, not {expires!r}",
                       2) from None
        try:
            expires_at = key_expiry(expires_at)
        except ValueError as exc:
            raise fail(f"--expires {exc}", 2) from None
    requested = requested_countries(countries)
    with open_database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        codes = None
        if requested is not None:
            codes = alpha3_codes(load_reference(session), requested)
        key, row = create_key(session, chosen_role, codes, expires_at, label,
                              created_by="cli")
        session.commit()
    err.print(f"Created {row.role} key {row.prefix}"
              + (f" for {', '.join(row.countries)}" if row.countries else "")
              + ". Store it now: it is not shown again.")
    typer.echo(key)


@commands.command("list")
def keys_list(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys")] = False,
) -> None:
    """List keys: prefix, role, countries, expiry, last use."""
    from app.access.service import list_keys

    table = Table()
    for column in ("prefix", "role", "countries", "label", "expires", "last used", "revoked"):
        table.add_column(column)
    with open_database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        for row in list_keys(session, include_revoked=all_keys):
            table.add_row(row.prefix, row.role, ",".join(row.countries or []) or "all",
                          row.label or "", _when(row.expires_at), _when(row.last_used_at),
                          _when(row.revoked_at))
    Console().print(table)


def _when(moment: object) -> str:
    return moment.isoformat(timespec="seconds") if hasattr(moment, "isoformat") else ""


@commands.command("revoke")
def keys_revoke(
    key_or_prefix: Annotated[str, typer.Argument(help="The key, or its 8-character prefix")],
) -> None:
    """Revoke a key: it is refused from now on (and kept, marked revoked)."""
    from app.access.service import revoke_key

    with open_database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        row = revoke_key(session, key_or_prefix)
        session.commit()
    if row is None:
        raise fail(f"No key {key_or_prefix!r}", 1)
    err.print(f"Key {row.prefix} is revoked.")
