"""What the ``cna`` command modules share: the stderr console, the database a command
works on, the progress bar, and the checks and messages several commands give alike.

Command modules import from here, never from one another or from ``app.cli.main``
(which only puts the commands together), so there is no import cycle among them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.core.settings import get_settings
from app.db import engine as db_engine
from app.db.runtime import database_url

if TYPE_CHECKING:
    from app.access.principal import Role
    from app.core.settings import Settings
    from app.reference.data import ReferenceData

# Messages and progress go to stderr, so that stdout carries only a command's result.
err = Console(stderr=True)


@contextmanager
def open_database() -> Iterator[str]:
    """Point the engine at the configured database (an embedded PostgreSQL when
    DATABASE_URL is unset) for the command's duration; yields its URL."""
    with database_url(get_settings()) as url:
        db_engine.configure_engine(url)
        try:
            yield url
        finally:
            db_engine.dispose_engine()


def progress_bar() -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal."""
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False,
        disable=not err.is_terminal,
    )


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` in red on stderr; the exit to raise, with ``code``."""
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def parse_role(role: str) -> Role:
    """The role named ``role``; exit 2, listing the roles, when there is none."""
    from app.access.principal import Role

    try:
        return Role(role)
    except ValueError:
        raise fail(f"Unknown role {role!r}; use one of: "
                   f"{', '.join(r.value for r in Role)}", 2) from None


def split_codes(text: str) -> list[str]:
    """The codes of a comma-separated list such as "BRA, ARG" (blanks dropped)."""
    return [code.strip() for code in text.split(",") if code.strip()]


def requested_countries(option: str | None) -> list[str] | None:
    """The codes given to ``--countries`` (None: the option left out); exit 2 when it
    names none, which would otherwise be stored as no limit: every country."""
    if option is None:
        return None
    codes = split_codes(option)
    if not codes:
        raise fail("--countries needs at least one country code; leave it out "
                   "for every country", 2)
    return codes


def alpha3_codes(reference: ReferenceData, codes: Iterable[str]) -> list[str]:
    """The ISO alpha-3 codes of countries given by alpha-2 or alpha-3 code; exit 2 at the
    first unknown one."""
    found = []
    for code in codes:
        country = reference.country_by_any_code(code)
        if country is None:
            raise fail(f"Unknown country {code!r}", 2)
        found.append(country.alpha3)
    return found


def require_mail_settings(settings: Settings) -> None:
    """Exit 2, saying why, when CNA_SMTP_URL or CNA_MAIL_FROM cannot work."""
    from app.mail.sender import MailConfigError, check_mail_settings

    try:
        check_mail_settings(settings)
    except MailConfigError as exc:
        raise fail(str(exc), 2) from None


def print_record_errors(errors: Sequence[Mapping[str, Any]], limit: int = 200) -> None:
    """Print an import report's invalid records (line, record, field, problem) as a table,
    at most ``limit`` field errors."""
    table = Table(title=f"{len(errors)} invalid record(s)", show_lines=False)
    table.add_column("line", justify="right")
    table.add_column("record")
    table.add_column("field")
    table.add_column("problem")
    shown = 0
    for record in errors:
        label = str(record.get("ref") or record.get("id") or "")
        for field_error in record["errors"]:
            if shown < limit:
                table.add_row(str(record["line"]), label, field_error["pointer"] or "/",
                              field_error["detail"])
            shown += 1
    err.print(table)
    if shown > limit:
        err.print(f"… and {shown - limit} more field error(s)")
