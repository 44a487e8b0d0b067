"""CLI: `wegwijs corpus check` and `wegwijs ingest`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ingest.check import check_corpus
from wegwijs.config import load_settings

corpus_app = typer.Typer(help="Het corpus controleren.", no_args_is_help=True)
console = Console(stderr=True)


@corpus_app.command("check")
def corpus_check(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Validate documents, answer cards, providers, gemeenten and postcodes (file:line)."""
    from ingest.corpus import load_corpus

    settings = load_settings()
    report = check_corpus(load_corpus(settings.corpus_dir))
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            print(problem)
        data = report.to_json()
        print(
            f"{data['documents']} documenten, {data['faq']} FAQ-vragen, "
            f"{data['cards']} antwoordkaarten, {data['providers']} aanbieders, "
            f"{len(data['gemeenten'])} gemeenten met eigen contacten: "
            f"{report.errors} fouten, {report.warnings} waarschuwingen"
        )
    raise typer.Exit(1 if report.errors else 0)


def ingest_command(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Alles opnieuw inlezen.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Read the corpus into the vector store (only what changed)."""
    from ingest.remote import run_ingest

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as bar:
        task = bar.add_task("inlezen", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result, problems = run_ingest(load_settings(), rebuild=rebuild, progress=progress)
    for problem in problems:
        console.print(str(problem), markup=False, highlight=False)
    if as_json:
        print(json.dumps(result))
    else:
        print(
            f"{result['documents']} documenten, {result['chunks']} stukken: "
            f"{result['added']} nieuw, {result['updated']} gewijzigd, {result['removed']} weg, "
            f"{result['unchanged']} ongewijzigd, {result.get('repaired', 0)} hersteld "
            f"({result['seconds']} s)"
        )
