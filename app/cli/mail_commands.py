"""`cna mail`: the local mailbox (the Maildir mail goes to without CNA_SMTP_URL), and a
test mail through the outbox."""

from __future__ import annotations

import email.policy
import json
import mailbox
import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.cli.common import err, fail, open_database, require_mail_settings

commands = typer.Typer(name="mail", help="The local mailbox and the outbox.",
                       no_args_is_help=True)
# Links in a text part: up to whitespace, without trailing punctuation of the sentence.
LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def _mailbox() -> mailbox.Maildir:
    from app.core.settings import get_settings
    from app.mail.sender import maildir_path

    path = maildir_path(get_settings())
    if not (path / "cur").is_dir():
        err.print(f"No mail yet: the mailbox {path} does not exist (mail lands there "
                  "when CNA_SMTP_URL is unset and `cna worker` runs).")
        raise typer.Exit(0)
    return mailbox.Maildir(path, create=False)


def _parse(box: mailbox.Maildir, key: str) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(box.get_bytes(key))
    assert isinstance(message, EmailMessage)
    return message


def _summary(key: str, message: EmailMessage) -> dict[str, Any]:
    date = message.get("Date")
    return {"id": key, "date": parsedate_to_datetime(date).isoformat() if date else None,
            "to": str(message.get("To", "")), "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", ""))}


def _text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if isinstance(part, EmailMessage) else ""


@commands.command("list")
def mail_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON")] = False,
) -> None:
    """List the mail in the local mailbox, oldest first."""
    box = _mailbox()
    items = sorted((_summary(key, _parse(box, key)) for key in box.iterkeys()),
                   key=lambda item: (item["date"] or "", item["id"]))
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    table = Table()
    table.add_column("id", overflow="fold")  # whole, to be copied into `cna mail show`
    for column in ("date", "to", "subject"):
        table.add_column(column)
    for item in items:
        table.add_row(item["id"], item["date"] or "", item["to"], item["subject"])
    Console().print(table)


@commands.command("show")
def mail_show(
    mail_id: Annotated[str, typer.Argument(metavar="ID",
                                           help="The id shown by `cna mail list`, or a "
                                                "unique beginning of it")],
) -> None:
    """Print one mail: its headers, its text part and the links in it."""
    box = _mailbox()
    matches = [key for key in box.iterkeys() if key.startswith(mail_id)] if mail_id else []
    if len(matches) != 1:
        raise fail(f"No mail {mail_id!r} in the mailbox" if not matches else
                   f"{len(matches)} mails begin with {mail_id!r}; give more of the id", 1)
    message = _parse(box, matches[0])
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        typer.echo(f"{header}: {message.get(header, '')}")
    text = _text_part(message)
    typer.echo("")
    typer.echo(text.rstrip("\n"))
    links = list(dict.fromkeys(LINK.findall(text)))
    if links:
        typer.echo("")
        typer.echo("Links:")
        for link in links:
            typer.echo(f"  {link}")


@commands.command("send-test")
def mail_send_test(
    address: Annotated[str, typer.Argument(metavar="EMAIL", help="Where to send it")],
    language: Annotated[str, typer.Option(help="ar, zh, en, fr, ru or es")] = "en",
    deliver: Annotated[bool, typer.Option(help="Also run one pass of the mail worker now "
                                               "(else `cna worker` sends it)")] = True,
) -> None:
    """Queue a test mail (and send it): checks CNA_SMTP_URL, or the local mailbox."""
    from sqlmodel import Session

    from app.core.settings import get_settings
    from app.db import engine as db_engine
    from app.mail.outbox import enqueue
    from app.mail.worker import run_once

    settings = get_settings()
    require_mail_settings(settings)
    with open_database():
        with Session(db_engine.get_engine()) as session, session.begin():
            try:
                message = enqueue(session, to=address, language=language, template="test",
                                  context={}, cause="cli:mail send-test")
            except ValueError as exc:
                raise fail(str(exc), 2) from None
            message_id = message.message_id
        err.print(f"Queued test mail {message_id}.")
        if not deliver:
            return
        stats = run_once(db_engine.get_engine(), settings)
    err.print(f"Mail pass: {stats.sent} sent, {stats.retrying} to retry, "
              f"{stats.failed} failed.")
    if not settings.smtp_url:
        err.print("No CNA_SMTP_URL: read it with `cna mail list` and `cna mail show ID`.")
