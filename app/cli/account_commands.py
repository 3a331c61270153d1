"""``cna accounts``: invite people, list them, suspend them, reset a lost second factor."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from app.accounts.models import Account

CLI_ACTOR = "cli"
commands = typer.Typer(name="accounts", help="Manage people's accounts.", no_args_is_help=True)


@commands.command("invite")
def accounts_invite(
    email: Annotated[str, typer.Argument(help="The person's e-mail address")],
    role: Annotated[str, typer.Option(help="official, network, focal_point or "
                                           "secretariat")],
    countries: Annotated[str | None, typer.Option(
        help="focal_point and network: comma-separated ISO codes, e.g. BRA,ARG")] = None,
    authority: Annotated[list[str] | None, typer.Option(
        help="official: the id of an authority record they work for (repeatable)")] = None,
    name: Annotated[str | None, typer.Option(help="Display name (default: the "
                                                  "address)")] = None,
    language: Annotated[str, typer.Option(help="ar, zh, en, fr, ru or es")] = "en",
) -> None:
    """Invite a person: the invitation mail (see `cna mail list`) holds their link."""
    from app.access.principal import Principal, Role
    from app.accounts.service import Scope, invite
    from app.core.problems import Problem
    from app.core.settings import get_settings
    from app.reference.service import load_reference

    chosen_role = parse_role(role)
    if language not in ("ar", "zh", "en", "fr", "ru", "es"):
        raise fail("--language must be one of ar, zh, en, fr, ru, es", 2)
    try:
        authority_ids = [uuid.UUID(a) for a in authority] if authority else None
    except ValueError:
        raise fail("--authority takes the id (a UUID) of an authority record", 2) from None
    requested = requested_countries(countries)
    with open_database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        codes = None
        if requested is not None:
            codes = alpha3_codes(load_reference(session), requested)
        try:
            _, account, _ = invite(
                session, Principal(role=Role.secretariat), CLI_ACTOR, get_settings(),
                email=email, display_name=name or email, language=language,
                role=chosen_role, scope=Scope(countries=codes or None,
                                              authority_ids=authority_ids),
                client_address=None)
        except Problem as problem:
            details = "; ".join(e.message for e in problem.errors) or problem.detail
            raise fail(str(details), 2 if problem.status == 422 else 1) from None
        session.commit()
    err.print(f"Invited {account.email} as {account.role}. The invitation mail holds "
              "the link (cna mail list).")
    typer.echo(str(account.id))


@commands.command("list")
def accounts_list() -> None:
    """List accounts: e-mail, name, role, scope, status."""
    from app.access.principal import Principal, Role
    from app.accounts.service import list_accounts

    table = Table()
    for column in ("id", "e-mail", "name", "role", "scope", "status"):
        table.add_column(column)
    with open_database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        for row in list_accounts(session, Principal(role=Role.secretariat)):
            scope = ",".join(row.countries or []) or ",".join(
                str(a) for a in row.authority_ids or [])
            table.add_row(str(row.id), row.email, row.display_name, row.role, scope,
                          row.status)
    Console(width=200).print(table)


@commands.command("suspend")
def accounts_suspend(
    email: Annotated[str, typer.Argument(help="The account's e-mail address")],
) -> None:
    """Suspend an account: its sessions end at once."""
    from app.access.principal import Principal, Role
    from app.accounts.service import change_account
    from app.core.problems import Problem

    with open_database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        account = _account(session, email)
        try:
            change_account(session, Principal(role=Role.secretariat), CLI_ACTOR, account,
                           status="suspended", client_address=None)
        except Problem as problem:
            raise fail(str(problem.detail), 1) from None
        session.commit()
    err.print(f"{account.email} is suspended.")


@commands.command("reset-second-factor")
def accounts_reset_second_factor(
    email: Annotated[str, typer.Argument(help="The account's e-mail address")],
) -> None:
    """Reset a person's lost second factor: their authenticator seed and recovery
    codes are removed, their sessions end, they get a mail, and they enrol again when
    they next sign in."""
    from app.access.principal import Principal, Role
    from app.accounts import totp
    from app.core.problems import Problem
    from app.core.settings import get_settings

    with open_database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        account = _account(session, email)
        try:
            totp.reset(session, Principal(role=Role.secretariat), CLI_ACTOR, account,
                       get_settings(), client_address=None)
        except Problem as problem:
            raise fail(str(problem.detail), 1) from None
        session.commit()
    err.print(f"The second factor of {account.email} is reset; they enrol again when "
              "they next sign in (the mail telling them is in the outbox).")


def _account(session: Session, email: str) -> Account:
    """The account of ``email``; exit 1 when there is none."""
    from app.accounts.service import find_by_email

    account = find_by_email(session, email)
    if account is None:
        raise fail(f"No account {email!r}", 1)
    return account
