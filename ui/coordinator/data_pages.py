"""Provider CSV upload (validated before anything is written) and the insight page."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse

from ingest.providers import parse_providers_csv
from ui.coordinator.auth import BASE, CurrentUser
from ui.coordinator.charts import bar_chart
from ui.coordinator.insight import REASONS, group_similar, unanswered, usage
from ui.coordinator.layout import csrf_field, esc, messages, page
from ui.runtime import get_runtime

router = APIRouter()
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_UPLOAD = 2_000_000
GROUPS_SHOWN = 30


def providers_form(files: list[str]) -> str:
    options = "".join(f"<li>{esc(name)}</li>" for name in files) or "<li>nog geen</li>"
    return (
        f"<p>Bestanden nu:</p><ul>{options}</ul>"
        f"<form method='post' action='{BASE}/providers' enctype='multipart/form-data'>"
        f"{csrf_field()}"
        "<label for='name'>Naam van het bestand (zonder .csv; een bestaande naam vervangt dat "
        "bestand)</label><input id='name' name='name' required pattern='[a-z0-9][a-z0-9-]*'>"
        "<label for='file'>CSV-bestand</label>"
        "<input id='file' name='file' type='file' accept='.csv,text/csv' required>"
        "<div><button type='submit'>Controleren en opslaan</button></div></form>"
    )


def _files() -> list[str]:
    folder = get_runtime().settings.corpus_dir / "providers"
    return sorted(p.stem for p in folder.glob("*.csv")) if folder.exists() else []


@router.get(f"{BASE}/providers")
async def providers_page(user: CurrentUser) -> HTMLResponse:
    return HTMLResponse(page("Aanbieders", providers_form(_files()), user.name))


@router.post(f"{BASE}/providers")
async def providers_upload(
    user: CurrentUser, name: Annotated[str, Form()], file: Annotated[UploadFile, File()]
) -> HTMLResponse:
    raw = await file.read(MAX_UPLOAD + 1)
    errors: list[str] = []
    if not FILE_NAME.match(name):
        errors.append("Naam: alleen kleine letters, cijfers en '-'.")
    if len(raw) > MAX_UPLOAD:
        errors.append("Het bestand is te groot (meer dan 2 MB).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append("Het bestand is geen UTF-8-tekst. Sla het op als CSV (UTF-8).")
        text = ""
    providers, problems = parse_providers_csv(text, f"{name}.csv") if text else ([], [])
    errors += [f"Regel {p.line}: {p.message}" for p in problems if p.severity == "error"]
    warnings = [f"Regel {p.line}: {p.message}" for p in problems if p.severity != "error"]
    if not errors and not providers:
        errors.append("Er staat geen enkele aanbieder in het bestand.")
    if errors:
        body = (
            messages(["Er is niets opgeslagen. Verbeter deze regels en probeer opnieuw.", *errors],
                     "bad")
            + providers_form(_files())
        )  # fmt: skip
        return HTMLResponse(page("Aanbieders", body, user.name), status_code=422)
    folder = get_runtime().settings.corpus_dir / "providers"
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{name}.csv.part"
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, folder / f"{name}.csv")
    done = [f"{len(providers)} aanbieders opgeslagen in {name}.csv. Binnen een minuut actief."]
    body = messages(done, "ok") + messages(warnings, "warn") + providers_form(_files())
    return HTMLResponse(page("Aanbieders", body, user.name))


@router.get(f"{BASE}/insight")
async def insight_page(user: CurrentUser) -> HTMLResponse:
    container = get_runtime().container
    store = container.conversations
    exchanges = await asyncio.to_thread(store.exchanges)
    feedback = await asyncio.to_thread(store.feedback)
    missing = unanswered(exchanges, feedback)
    groups = await asyncio.to_thread(group_similar, missing, container.embedder)
    rows = []
    for group in groups[:GROUPS_SHOWN]:
        reasons = ", ".join(f"{REASONS[r]}: {n}" for r, n in group.reasons.most_common())
        others = sorted(set(group.members) - {group.question})[:5]
        extra = "".join(f"<li>{esc(o)}</li>" for o in others)
        comments = "".join(f"<li>“{esc(c)}”</li>" for c in group.comments[:3])
        rows.append(
            f"<tr><td>{esc(group.question)}<ul>{extra}</ul>"
            + (f"<p>Opmerkingen:</p><ul>{comments}</ul>" if comments else "")
            + f"</td><td>{group.count}</td><td>{esc(reasons)}</td></tr>"
        )
    stats = usage(exchanges)
    body = (
        "<h2>Vragen zonder goed antwoord</h2>"
        "<p>Gegroepeerd op betekenis. Dit is de basis voor nieuwe FAQ-vragen.</p>"
        "<table><thead><tr><th scope='col'>Vraag (en vergelijkbare)</th>"
        "<th scope='col'>Aantal</th><th scope='col'>Waarom</th></tr></thead>"
        f"<tbody>{''.join(rows) or '<tr><td colspan=3>Nog niets.</td></tr>'}</tbody></table>"
        f"<h2>Gebruik</h2><p>{stats.total} vragen in de bewaarperiode.</p>"
        + bar_chart("Vragen per dag (laatste 30 dagen)", stats.per_day, label_every=5)
        + bar_chart("Vragen per uur van de dag (UTC)", stats.per_hour, label_every=3)
        + bar_chart("Beantwoord door", stats.strategies)
        + bar_chart("Crisisdoorverwijzingen", stats.crisis)
    )
    return HTMLResponse(page("Inzicht", body, user.name))


ERASE_SHOWN = 20


@router.get(f"{BASE}/erase")
async def erase_page(user: CurrentUser, q: str = "") -> HTMLResponse:
    """Find a conversation by words from its (redacted) questions and erase it: on a visitor's
    request, or when a name or number slipped past the redaction."""
    return HTMLResponse(page("Gesprek wissen", await _erase_body(q.strip()), user.name))


@router.post(f"{BASE}/erase")
async def erase_conversation(
    user: CurrentUser, conversation: Annotated[str, Form()], q: Annotated[str, Form()] = ""
) -> HTMLResponse:
    store = get_runtime().container.conversations
    removed = await asyncio.to_thread(store.erase, conversation)
    done = [f"Gesprek gewist: {removed} vragen en hun feedback."] if removed else []
    missing = [] if removed else ["Dat gesprek bestaat niet (meer)."]
    body = messages(done, "ok") + messages(missing, "warn") + await _erase_body(q.strip())
    return HTMLResponse(page("Gesprek wissen", body, user.name))


async def _erase_body(q: str) -> str:
    search = (
        "<p>Zoek een gesprek op woorden uit de vraag. Wissen haalt alle vragen, antwoorden en "
        "feedback van dat gesprek weg.</p>"
        f"<form method='get' action='{BASE}/erase'><label for='q'>Zoek in de vragen</label>"
        f"<input id='q' name='q' value='{esc(q)}' required minlength='3'>"
        "<div><button type='submit'>Zoeken</button></div></form>"
    )
    if len(q) < 3:
        return search
    exchanges = await asyncio.to_thread(get_runtime().container.conversations.exchanges)
    found = [e for e in reversed(exchanges) if q.lower() in e.question.lower()][:ERASE_SHOWN]
    rows = "".join(
        f"<tr><td>{esc(e.created_at.strftime('%d-%m-%Y %H:%M'))}</td><td>{esc(e.question)}</td>"
        f"<td><form method='post' action='{BASE}/erase'>{csrf_field()}"
        f"<input type='hidden' name='conversation' value='{esc(e.conversation_id)}'>"
        f"<input type='hidden' name='q' value='{esc(q)}'>"
        "<button type='submit'>Wis dit gesprek</button></form></td></tr>"
        for e in found
    )
    table = (
        "<table><thead><tr><th scope='col'>Wanneer (UTC)</th><th scope='col'>Vraag</th>"
        f"<th scope='col'></th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>Geen vragen gevonden.</p>"
    )
    return search + table
