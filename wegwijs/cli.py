"""The `wegwijs` command. Each package contributes its own sub-commands."""

from __future__ import annotations

import typer

from assistant.cli import ask_command
from eval.cli import eval_app
from guardrails.cli import make_guard_app
from ingest.cli import corpus_app, ingest_command
from ui.cli import serve_command
from ui.cli_users import users_app
from wegwijs.bench_cli import bench_app
from wegwijs.config import load_settings
from wegwijs.container import Container
from wegwijs.database import is_sqlite, make_engine, upgrade

app = typer.Typer(
    help="Wegwijs: de wegwijzer voor mantelzorgers.", no_args_is_help=True, add_completion=False
)
app.add_typer(corpus_app, name="corpus")
app.command("ingest")(ingest_command)
app.add_typer(bench_app, name="bench")
app.command("ask")(ask_command)
app.add_typer(make_guard_app(), name="guard")
app.command("serve")(serve_command)
app.add_typer(eval_app, name="eval")
app.add_typer(users_app, name="user")
db_app = typer.Typer(help="De database: schema bijwerken.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command("erase")
def erase_command(
    conversation: str = typer.Option(..., "--conversation", help="De gesprekscode."),
) -> None:
    """Wis één gesprek (vragen, antwoorden en feedback), op verzoek van de bezoeker."""
    container = Container(load_settings())
    removed = container.conversations.erase(conversation.strip())
    typer.echo(
        f"{removed} berichten gewist." if removed else "Geen gesprek met deze code gevonden."
    )
    if not removed:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade_command() -> None:
    """Breng het PostgreSQL-schema naar de nieuwste versie (alembic upgrade head)."""
    url = load_settings().database_url
    if url == "memory" or is_sqlite(url):
        typer.echo("SQLite: de app maakt de tabellen zelf als ze de database opent.")
        return
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    typer.echo("Schema bijgewerkt.")


if __name__ == "__main__":
    app()
