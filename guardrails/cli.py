"""`wegwijs guard "tekst" --json` and `wegwijs guard --jsonl` (stdin, one {"input": ...} per line).

The lead mounts `guard_app` into the main typer app (`app.add_typer(guard_app, name="guard")`),
or builds one with `make_guard_app(provider)` to reuse the composition root's `Guardrails`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from guardrails.inspector import Guardrails
from wegwijs.domain import Verdict

GuardrailsProvider = Callable[[], Guardrails]


def default_guardrails() -> Guardrails:
    from guardrails.factory import build_guardrails, embedder_if_present
    from wegwijs.config import load_settings

    settings = load_settings()
    return build_guardrails(settings, embedder_if_present(settings))


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "route": verdict.route.value,
        "crisis_kind": verdict.crisis_kind.value if verdict.crisis_kind else None,
        "concern": verdict.concern,
        "redacted_text": verdict.redacted_text,
        "entities": [{"type": e.type, "start": e.start, "end": e.end} for e in verdict.entities],
        "injection": verdict.injection,
    }


def make_guard_app(provider: GuardrailsProvider = default_guardrails) -> typer.Typer:
    app = typer.Typer(
        help="Controleer een bericht: crisis, medisch advies, injectie, PII.",
        context_settings={"allow_interspersed_args": True},
    )

    @app.callback(invoke_without_command=True)
    def guard(
        text: Annotated[str | None, typer.Argument(help="Het bericht om te controleren.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Uitvoer als JSON.")] = False,
        jsonl: Annotated[
            bool, typer.Option("--jsonl", help='Lees regels {"input": ...} van stdin.')
        ] = False,
    ) -> None:
        if not jsonl and text is None:
            raise typer.BadParameter("Geef een tekst mee, of gebruik --jsonl met invoer op stdin.")
        guards = provider()
        if jsonl:
            for number, line in enumerate(sys.stdin, 1):
                if not line.strip():
                    continue
                try:
                    message = json.loads(line)["input"]
                except (json.JSONDecodeError, KeyError, TypeError) as error:
                    typer.echo(f'Regel {number}: verwacht {{"input": "..."}} ({error})', err=True)
                    raise typer.Exit(2) from error
                typer.echo(
                    json.dumps(verdict_json(guards.inspect(str(message))), ensure_ascii=False)
                )
            return
        assert text is not None
        verdict = guards.inspect(text)
        if as_json:
            typer.echo(json.dumps(verdict_json(verdict), ensure_ascii=False, indent=2))
            return
        typer.echo(f"route: {verdict.route.value}")
        if verdict.crisis_kind:
            typer.echo(f"crisis_kind: {verdict.crisis_kind.value}")
        typer.echo(f"concern: {'ja' if verdict.concern else 'nee'}")
        typer.echo(f"redacted_text: {verdict.redacted_text}")
        concern = guards.concern(verdict)
        if concern is not None:
            typer.echo("")
            typer.echo(concern[0])
        reply = guards.reply(verdict)
        if reply is not None:
            typer.echo("")
            typer.echo(reply.answer)

    return app


guard_app = make_guard_app()
