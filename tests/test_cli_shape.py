"""The shape of the ``cna`` command line: which commands it has, and how its modules
depend on one another (command modules use app/cli/common.py, never each other or main)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

CLI_DIR = Path(__file__).resolve().parents[1] / "app" / "cli"
COMMAND_MODULES = sorted(path.stem for path in CLI_DIR.glob("*_commands.py"))


def _cli_imports(path: Path) -> set[str]:
    """The app.cli modules ``path`` imports, function-level imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("app.cli.")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "app.cli":
                found |= {f"app.cli.{a.name}" for a in node.names}
            elif node.module.startswith("app.cli."):
                found.add(node.module)
    return found


def test_command_modules_import_only_the_shared_helpers() -> None:
    assert len(COMMAND_MODULES) >= 9
    for name in COMMAND_MODULES:
        assert _cli_imports(CLI_DIR / f"{name}.py") <= {"app.cli.common"}, name
    assert _cli_imports(CLI_DIR / "common.py") == set()


def test_main_puts_every_command_module_together() -> None:
    assert _cli_imports(CLI_DIR / "main.py") == {f"app.cli.{n}" for n in COMMAND_MODULES}
    from app.cli.main import app

    listed = _names(app)
    for name in COMMAND_MODULES:
        commands = getattr(importlib.import_module(f"app.cli.{name}"), "commands", None)
        assert isinstance(commands, typer.Typer), name
        group = typer.main.get_group(commands)
        own = [group.name] if group.name else list(group.commands)
        assert own and set(own) <= set(listed), (name, own)


def _names(app: typer.Typer) -> list[str]:
    return list(typer.main.get_group(app).commands)


def test_the_commands_keep_their_names_and_order() -> None:
    from app.cli.main import app

    root = typer.main.get_group(app)
    assert list(root.commands) == [
        "serve", "migrate", "seed", "import", "export", "worker", "reindex", "search-check",
        "sync", "webhooks-deliver", "publish", "keys", "accounts", "mail", "reminders"]
    groups = {name: list(group.commands) for name, group in root.commands.items()
              if isinstance(group, TyperGroup)}
    assert groups == {"keys": ["create", "list", "revoke"],
                      "accounts": ["invite", "list", "suspend", "reset-second-factor"],
                      "mail": ["list", "show", "send-test"], "reminders": ["send"]}


def test_keys_and_accounts_refuse_an_unknown_role_alike() -> None:
    from app.cli.main import app

    runner = CliRunner()
    for args in (["keys", "create", "--role", "emperor"],
                 ["accounts", "invite", "a@example.org", "--role", "emperor"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "Unknown role 'emperor'; use one of: official, network, focal_point, " \
               "secretariat" in result.output
