"""The `wegwijs` command. Each package contributes its own sub-commands."""

from __future__ import annotations

import typer

from ingest.cli import corpus_app, ingest_command
from wegwijs.bench_cli import bench_app

app = typer.Typer(
    help="Wegwijs: de wegwijzer voor mantelzorgers.", no_args_is_help=True, add_completion=False
)
app.add_typer(corpus_app, name="corpus")
app.command("ingest")(ingest_command)
app.add_typer(bench_app, name="bench")


if __name__ == "__main__":
    app()
