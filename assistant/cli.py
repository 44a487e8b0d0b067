"""`wegwijs ask`: one question, or a batch as JSON lines, through the same path as the widget:
guardrails first (crisis, medical, injection, PII redaction), then the answer engine, then the
output check. Mounted by wegwijs/cli.py as `wegwijs ask`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

import typer

from assistant.providers import POSTCODE
from wegwijs.config import load_settings
from wegwijs.container import Container
from wegwijs.vectorstore import StoreLockedError


def postcode4_of(postcode: str | None) -> str | None:
    match = POSTCODE.search(postcode or "")
    return match.group(1) if match else None


async def answer_one(container: Container, question: str, postcode: str | None) -> dict[str, Any]:
    result = await container.chat.handle(question, postcode4=postcode4_of(postcode))
    return result.answer.to_json()


async def answer_lines(container: Container, lines: Iterable[str], out: TextIO) -> int:
    """One JSON result per input line; a bad line gets {"error": ...} and the batch goes on."""
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question = str(item["input"])
            postcode = item.get("postcode") or None
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            failures += 1
            out.write(json.dumps({"error": f"regel {number}: {type(exc).__name__}"}) + "\n")
            continue
        result = await answer_one(container, question, postcode)
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return failures


def open_container() -> Container:
    container = Container(load_settings())
    try:
        count = container.store.count()
    except StoreLockedError:
        typer.echo(
            "De zoekindex is in gebruik door de draaiende app. Stop de app of gebruik "
            "WEGWIJS_VECTOR_STORE__MODE=server.",
            err=True,
        )
        raise typer.Exit(2) from None
    except ValueError:  # collection does not exist yet
        count = 0
    if count == 0:  # the safety replies need no index: warn, and answer what can be answered
        typer.echo(
            "Let op: de zoekindex is leeg. Draai eerst `wegwijs ingest`; tot dan werken "
            "alleen de veiligheidsantwoorden.",
            err=True,
        )
    return container


def ask_command(
    question: str = typer.Argument("", help="De vraag (leeg bij --jsonl)."),
    postcode: str = typer.Option("", "--postcode", help="Postcode of PC4, voor lokale antwoorden."),
    as_json: bool = typer.Option(False, "--json", help="Antwoord als JSON (het contract)."),
    jsonl: bool = typer.Option(
        False, "--jsonl", help='Lees {"input", "postcode"} per regel van stdin; één JSON per regel.'
    ),
) -> None:
    """Stel een vraag aan Wegwijs."""
    if not jsonl and not question.strip():
        typer.echo("Geef een vraag, of gebruik --jsonl.", err=True)
        raise typer.Exit(2)
    container = open_container()
    try:
        if jsonl:
            failures = asyncio.run(answer_lines(container, sys.stdin, sys.stdout))
            if failures:
                raise typer.Exit(1)
            return
        result = asyncio.run(answer_one(container, question, postcode or None))
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            typer.echo(result["answer"])
            for number, citation in enumerate(result["citations"], start=1):
                if result["strategy"] == "faq" and citation["url"]:
                    typer.echo(f"[{number}] {citation['title']}: {citation['url']}")
    finally:
        container.close()
