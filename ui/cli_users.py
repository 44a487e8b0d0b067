"""`wegwijs user create NAME --role coordinator`: accounts for the coordinator pages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

users_app = typer.Typer(help="Accounts voor de coördinatorpagina's.", no_args_is_help=True)


@users_app.callback()
def users() -> None:
    """Accounts voor de coördinatorpagina's."""


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Inlognaam")],
    role: Annotated[str, typer.Option(help="coordinator of admin")] = "coordinator",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Lees het wachtwoord van stdin")
    ] = False,
) -> None:
    """Create an account (or set a new password and role for an existing one)."""
    from ui.coordinator.users import ROLES, UserStore
    from wegwijs.config import load_settings

    if role not in ROLES:
        typer.echo(f"Onbekende rol '{role}'. Kies uit: {', '.join(ROLES)}.", err=True)
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)
    settings = load_settings()
    if not settings.data_path.exists():
        settings.data_path.mkdir(mode=0o700, parents=True)  # it will hold password hashes
    store = UserStore(settings.database_url)
    try:
        user = store.save(name, password, role)
    except ValueError as problem:
        typer.echo(f"Niet gelukt: {problem}", err=True)
        raise typer.Exit(1) from problem
    finally:
        store.close()
    typer.echo(f"Account '{user.name}' ({user.role}) is klaar.")
