"""The `wegwijs` command. Each package contributes its own sub-commands."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import typer

from ingest.cli import corpus_app, ingest_command

app = typer.Typer(
    help="Wegwijs: de wegwijzer voor mantelzorgers.", no_args_is_help=True, add_completion=False
)
app.add_typer(corpus_app, name="corpus")
app.command("ingest")(ingest_command)


if __name__ == "__main__":
    app()
