"""``cna accounts``: invite people, list them, suspend them, reset a lost second factor."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

CLI_ACTOR = "cli"


def register(app: typer.Typer) -> None:
    from app.cli.main import _database, err
    from app.db import engine as db_engine

    accounts_app = typer.Typer(help="Manage people's accounts.", no_args_is_help=True)
    app.add_typer(accounts_app, name="accounts")

    @accounts_app.command("invite")
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

        try:
            chosen_role = Role(role)
        except ValueError:
            err.print(f"[red]Unknown role {role!r}; use one of: "
                      f"{', '.join(r.value for r in Role)}[/red]")
            raise typer.Exit(2) from None
        if language not in ("ar", "zh", "en", "fr", "ru", "es"):
            err.print("[red]--language must be one of ar, zh, en, fr, ru, es[/red]")
            raise typer.Exit(2)
        try:
            authority_ids = [uuid.UUID(a) for a in authority] if authority else None
        except ValueError:
            err.print("[red]--authority takes the id (a UUID) of an authority record[/red]")
            raise typer.Exit(2) from None
        with _database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
            codes = None
            if countries is not None:
                reference = load_reference(session)
                codes = []
                for code in (c.strip() for c in countries.split(",") if c.strip()):
                    country = reference.country_by_any_code(code)
                    if country is None:
                        err.print(f"[red]Unknown country {code!r}[/red]")
                        raise typer.Exit(2)
                    codes.append(country.alpha3)
            try:
                _, account, _ = invite(
                    session, Principal(role=Role.secretariat), CLI_ACTOR, get_settings(),
                    email=email, display_name=name or email, language=language,
                    role=chosen_role, scope=Scope(countries=codes or None,
                                                  authority_ids=authority_ids),
                    client_address=None)
            except Problem as problem:
                details = "; ".join(e.message for e in problem.errors) or problem.detail
                err.print(f"[red]{details}[/red]")
                raise typer.Exit(2 if problem.status == 422 else 1) from None
            session.commit()
        err.print(f"Invited {account.email} as {account.role}. The invitation mail holds "
                  "the link (cna mail list).")
        typer.echo(str(account.id))

    @accounts_app.command("list")
    def accounts_list() -> None:
        """List accounts: e-mail, name, role, scope, status."""
        from app.access.principal import Principal, Role
        from app.accounts.service import list_accounts

        table = Table()
        for column in ("id", "e-mail", "name", "role", "scope", "status"):
            table.add_column(column)
        with _database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
            for row in list_accounts(session, Principal(role=Role.secretariat)):
                scope = ",".join(row.countries or []) or ",".join(
                    str(a) for a in row.authority_ids or [])
                table.add_row(str(row.id), row.email, row.display_name, row.role, scope,
                              row.status)
        Console(width=200).print(table)

    @accounts_app.command("suspend")
    def accounts_suspend(
        email: Annotated[str, typer.Argument(help="The account's e-mail address")],
    ) -> None:
        """Suspend an account: its sessions end at once."""
        from app.access.principal import Principal, Role
        from app.accounts.service import change_account, find_by_email
        from app.core.problems import Problem

        with _database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
            account = find_by_email(session, email)
            if account is None:
                err.print(f"[red]No account {email!r}[/red]")
                raise typer.Exit(1)
            try:
                change_account(session, Principal(role=Role.secretariat), CLI_ACTOR, account,
                               status="suspended", client_address=None)
            except Problem as problem:
                err.print(f"[red]{problem.detail}[/red]")
                raise typer.Exit(1) from None
            session.commit()
        err.print(f"{account.email} is suspended.")

    @accounts_app.command("reset-second-factor")
    def accounts_reset_second_factor(
        email: Annotated[str, typer.Argument(help="The account's e-mail address")],
    ) -> None:
        """Reset a person's lost second factor: their authenticator seed and recovery
        codes are removed, their sessions end, they get a mail, and they enrol again when
        they next sign in."""
        from app.access.principal import Principal, Role
        from app.accounts import totp
        from app.accounts.service import find_by_email
        from app.core.problems import Problem
        from app.core.settings import get_settings

        with _database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
            account = find_by_email(session, email)
            if account is None:
                err.print(f"[red]No account {email!r}[/red]")
                raise typer.Exit(1)
            try:
                totp.reset(session, Principal(role=Role.secretariat), CLI_ACTOR, account,
                           get_settings(), client_address=None)
            except Problem as problem:
                err.print(f"[red]{problem.detail}[/red]")
                raise typer.Exit(1) from None
            session.commit()
        err.print(f"The second factor of {account.email} is reset; they enrol again when "
                  "they next sign in (the mail telling them is in the outbox).")
