"""The ``cna`` command line: each ``*_commands`` module holds its commands on its own
``commands`` Typer (named when it is a group, such as ``cna keys``); this module only puts
them together, in the order ``cna --help`` lists them."""

from __future__ import annotations

import typer

from app.cli import (
    account_commands,
    database_commands,
    key_commands,
    mail_commands,
    publish_commands,
    reminder_commands,
    search_commands,
    sync_commands,
    transfer_commands,
)

app = typer.Typer(
    name="cna",
    help="CNA Directory: the directory of competent national authorities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(database_commands.commands)
app.add_typer(transfer_commands.commands)
app.add_typer(search_commands.commands)
app.add_typer(sync_commands.commands)
app.add_typer(publish_commands.commands)
app.add_typer(key_commands.commands)
app.add_typer(account_commands.commands)
app.add_typer(mail_commands.commands)
app.add_typer(reminder_commands.commands)


if __name__ == "__main__":
    app()
