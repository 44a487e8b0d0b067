"""Answer-card pages: the organisation's FAQ (approved cards) and the Wegwijs library, with
review dates; create, edit, approve and retire; a preview of the questions that match a card."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ingest.problems import Problem
from ui.coordinator.auth import BASE, CurrentUser
from ui.coordinator.faq_files import (
    CardFile,
    FaqForm,
    form_for,
    path_for,
    read_card_file,
    save_form,
    scan_cards,
)
from ui.coordinator.layout import csrf_field, esc, messages, page
from ui.runtime import Runtime, get_runtime
from wegwijs.domain import Law

router = APIRouter()
REVIEW_SOON_DAYS = 30
PREVIEW_QUESTIONS = 100


def review_class(review_by: str, today: date) -> tuple[str, str]:
    """CSS class and a Dutch note for a review date: past (bad), within 30 days (warn)."""
    try:
        when = date.fromisoformat(review_by)
    except ValueError:
        return "bad", "geen geldige controledatum"
    if when < today:
        return "bad", "controle is te laat"
    if when <= today + timedelta(days=REVIEW_SOON_DAYS):
        return "warn", "binnenkort controleren"
    return "", ""


@router.get(f"{BASE}/faq")
async def faq_list(user: CurrentUser, saved: str = "") -> HTMLResponse:
    runtime = get_runtime()
    today = date.today()
    files = await asyncio.to_thread(scan_cards, runtime.settings.corpus_dir, today)
    rows: dict[str, list[str]] = {"approved": [], "library": []}
    late = 0
    for card in files:
        form = card.form
        if form is None or card.edit_id is None or card.broken:
            continue
        css, note = review_class(form.review_by, today)
        late += css == "bad"
        status = "ingetrokken" if form.retired else "actief"
        rows["approved" if form.status == "approved" else "library"].append(
            f"<tr><td><a href='{BASE}/faq/{esc(card.edit_id)}'>{esc(form.question)}</a></td>"
            f"<td>{esc(form.law)}</td><td>{status}</td>"
            f"<td class='{css}'>{esc(form.review_by)} {esc(note)}</td></tr>"
        )
    done = [f"Opgeslagen: {saved}. Binnen een minuut staat het in de chat."] if saved else []
    overdue = (
        [f"{late} kaarten moeten opnieuw gecontroleerd worden (datum voorbij)."] if late else []
    )
    head = (
        "<thead><tr><th scope='col'>Vraag</th><th scope='col'>Wet</th>"
        "<th scope='col'>Status</th><th scope='col'>Controleren voor</th></tr></thead>"
    )
    body = (
        messages(done, "ok")
        + broken_files_html([card for card in files if card.broken])
        + messages(overdue, "warn")
        + f"<p><a href='{BASE}/faq/new'>Nieuwe vraag toevoegen</a></p>"
        + "<table><caption class='muted'>Goedgekeurde antwoorden van de organisatie</caption>"
        f"{head}<tbody>{''.join(rows['approved'])}</tbody></table>"
        + "<table><caption class='muted'>Wegwijs-bibliotheek (nog niet door jullie goedgekeurd)"
        f"</caption>{head}<tbody>{''.join(rows['library'])}</tbody></table>"
    )
    return HTMLResponse(page("Antwoordkaarten", body, user.name))


def broken_files_html(broken: list[CardFile]) -> str:
    """Files the chat cannot load, each error as `file:line`, with a link to fix the file."""
    if not broken:
        return ""
    items = []
    for card in broken:
        errors = "".join(f"<li>{esc(p)}</li>" for p in card.problems if p.severity == "error")
        link = (
            f" <a href='{BASE}/faq/{esc(card.edit_id)}'>Verbeteren</a>"
            if card.edit_id
            else " Pas dit bestand zelf aan: de naam moet het id zijn, met .yaml erachter."
        )
        items.append(f"<li>{esc(card.rel)}:{link}<ul>{errors}</ul></li>")
    return (
        "<div class='box bad' role='alert'><p>Deze bestanden hebben een fout. De chat gebruikt "
        "de laatste goede versie van zo'n kaart (als die er is) tot de fout is opgelost.</p>"
        f"<ul>{''.join(items)}</ul></div>"
    )


def file_state_html(card: CardFile, restored: bool) -> str:
    """On the edit page of a broken file: its errors, which version the form shows, the file."""
    if not card.broken:
        return ""
    errors = [str(p) for p in card.problems if p.severity == "error"]
    if restored:
        errors.append(
            "Het formulier toont de laatste goede versie; die staat nog in de chat. "
            "Opslaan vervangt het bestand."
        )
    elif card.form is None:
        errors.append("Er is geen eerdere goede versie. Vul het formulier in en sla op.")
    return messages(errors, "bad") + (
        "<details><summary>Het bestand zoals het nu is</summary>"
        f"<pre>{esc(card.text)}</pre></details>"
    )


def faq_form_html(form: FaqForm, new: bool, problems: list[Problem]) -> str:
    errors = [f"{_label(p)}: {p.message}" for p in problems]
    action = f"{BASE}/faq/new" if new else f"{BASE}/faq/{esc(form.id)}"
    laws = "".join(
        f"<option value='{law.value}'{' selected' if law.value == form.law else ''}>"
        f"{law.value}</option>"
        for law in Law
    )
    id_field = (
        "<label for='id'>Id (kleine letters, cijfers en -)</label>"
        f"<input id='id' name='id' value='{esc(form.id)}' required pattern='[a-z0-9][a-z0-9-]*'>"
        if new
        else f"<input type='hidden' name='id' value='{esc(form.id)}'>"
    )
    body = (
        messages(errors, "bad" if any(p.severity == "error" for p in problems) else "warn")
        + f"<form method='post' action='{action}'>{id_field}{csrf_field()}"
        "<label for='question'>Vraag</label>"
        f"<input id='question' name='question' value='{esc(form.question)}' required size='60'>"
        "<label for='variants'>Andere vraagvormen (één per regel, minstens 3)</label>"
        f"<textarea id='variants' name='variants' rows='5'>{esc(chr(10).join(form.variants))}"
        "</textarea><label for='answer'>Antwoord (B1, hooguit 120 woorden)</label>"
        f"<textarea id='answer' name='answer' rows='9' required>{esc(form.answer)}</textarea>"
        f"<label for='law'>Wet</label><select id='law' name='law'>{laws}</select>"
        "<label for='sources'>Bronnen (één URL per regel)</label>"
        f"<textarea id='sources' name='sources' rows='3'>{esc(chr(10).join(form.sources))}"
        "</textarea><label for='read_more_title'>Lees meer: titel van een leesbare pagina</label>"
        f"<input id='read_more_title' name='read_more_title' value='{esc(form.read_more_title)}'"
        " size='60'><label for='read_more_url'>Lees meer: adres (geen wettekst)</label>"
        f"<input id='read_more_url' name='read_more_url' value='{esc(form.read_more_url)}'"
        " size='60'><label for='legal'>Wetsartikelen (één per regel, bv. Wmo 2015 art. 2.3.2)"
        f"</label><textarea id='legal' name='legal' rows='2'>{esc(chr(10).join(form.legal))}"
        f"</textarea><input type='hidden' name='status' value='{esc(form.status)}'>"
        "<label for='owner'>Eigenaar</label>"
        f"<input id='owner' name='owner' value='{esc(form.owner)}' required>"
        "<label for='review_by'>Controleren voor</label>"
        f"<input id='review_by' name='review_by' type='date' value='{esc(form.review_by)}'>"
        "<div><button type='submit'>Opslaan</button></div></form>"
    )
    if not new and form.status != "approved":
        body += (
            "<p>Deze kaart komt uit de Wegwijs-bibliotheek. Klopt hij voor jullie organisatie?</p>"
            f"<form method='post' action='{BASE}/faq/{esc(form.id)}/approve'>{csrf_field()}"
            "<button type='submit'>Goedkeuren als antwoord van de organisatie</button></form>"
        )
    if not new:
        body += (
            f"<p><a href='{BASE}/faq/{esc(form.id)}/preview'>Welke vragen passen hierbij?</a></p>"
            f"<form method='post' action='{BASE}/faq/{esc(form.id)}/retire'>{csrf_field()}"
            "<button type='submit'>Intrekken (niet meer tonen in de chat)</button></form>"
        )
    return body


def _label(problem: Problem) -> str:
    return "Fout" if problem.severity == "error" else "Let op"


def _form(
    id: str, question: str, variants: str, answer: str, law: str, sources: str, owner: str,
    review_by: str, read_more_title: str = "", read_more_url: str = "", legal: str = "",
    status: str = "approved",
) -> FaqForm:  # fmt: skip
    return FaqForm(
        id=id.strip(),
        question=question,
        variants=variants.splitlines(),
        answer=answer,
        law=law,
        sources=sources.splitlines(),
        owner=owner,
        review_by=review_by,
        read_more_title=read_more_title,
        read_more_url=read_more_url,
        legal=legal.splitlines(),
        status=status if status in ("approved", "library") else "approved",
    )


@router.get(f"{BASE}/faq/new")
async def faq_new(user: CurrentUser) -> HTMLResponse:
    form = FaqForm(owner=user.name, review_by=(date.today() + timedelta(days=365)).isoformat())
    return HTMLResponse(page("Nieuwe vraag", faq_form_html(form, True, []), user.name))


@router.get(f"{BASE}/faq/{{entry_id}}")
async def faq_edit(user: CurrentUser, entry_id: str) -> HTMLResponse:
    runtime = get_runtime()
    card = await asyncio.to_thread(_card_file, runtime, entry_id)
    form, restored = _form_of(runtime, card)
    body = file_state_html(card, restored) + faq_form_html(form, False, [])
    return HTMLResponse(page("Vraag bewerken", body, user.name))


def _card_file(runtime: Runtime, entry_id: str) -> CardFile:
    try:
        path = path_for(runtime.settings.corpus_dir, entry_id)
    except ValueError:
        path = None
    if path is None or not path.exists():
        raise HTTPException(404, "Deze vraag bestaat niet.")
    return read_card_file(runtime.settings.corpus_dir, path, date.today())


def _form_of(runtime: Runtime, card: CardFile) -> tuple[FaqForm, bool]:
    return form_for(runtime.settings.corpus_dir, card, runtime.container.last_good)


def _existing(runtime: Runtime, entry_id: str) -> FaqForm:
    return _form_of(runtime, _card_file(runtime, entry_id))[0]


async def _save(user_name: str, form: FaqForm, new: bool) -> Response:
    runtime = get_runtime()
    if not new:
        before = _existing(runtime, form.id)
        form.retired, form.extra = before.retired, before.extra
    problems = save_form(runtime.settings.corpus_dir, form, date.today(), new=new)
    if any(p.severity == "error" for p in problems):
        title = "Nieuwe vraag" if new else "Vraag bewerken"
        html = page(title, faq_form_html(form, new, problems), user_name)
        return HTMLResponse(html, status_code=422)
    return RedirectResponse(f"{BASE}/faq?saved={form.id}", status_code=303)


FormText = Annotated[str, Form()]


@router.post(f"{BASE}/faq/new")
async def faq_create(
    user: CurrentUser, id: FormText, question: FormText, answer: FormText, law: FormText,
    owner: FormText, variants: FormText = "", sources: FormText = "", review_by: FormText = "",
    read_more_title: FormText = "", read_more_url: FormText = "", legal: FormText = "",
) -> Response:  # fmt: skip
    form = _form(
        id, question, variants, answer, law, sources, owner, review_by, read_more_title,
        read_more_url, legal,
    )  # fmt: skip
    return await _save(user.name, form, new=True)


@router.post(f"{BASE}/faq/{{entry_id}}")
async def faq_update(
    user: CurrentUser, entry_id: str, question: FormText, answer: FormText, law: FormText,
    owner: FormText, variants: FormText = "", sources: FormText = "", review_by: FormText = "",
    read_more_title: FormText = "", read_more_url: FormText = "", legal: FormText = "",
    status: FormText = "approved",
) -> Response:  # fmt: skip
    form = _form(
        entry_id, question, variants, answer, law, sources, owner, review_by, read_more_title,
        read_more_url, legal, status,
    )  # fmt: skip
    return await _save(user.name, form, new=False)


@router.post(f"{BASE}/faq/{{entry_id}}/approve")
async def faq_approve(user: CurrentUser, entry_id: str) -> Response:
    """A library card becomes one of the organisation's approved answers (shown as such)."""
    runtime = get_runtime()
    form = _existing(runtime, entry_id)
    form.status = "approved"
    form.owner = user.name
    problems = save_form(runtime.settings.corpus_dir, form, date.today())
    if any(p.severity == "error" for p in problems):
        html = page("Vraag bewerken", faq_form_html(form, False, problems), user.name)
        return HTMLResponse(html, status_code=422)
    return RedirectResponse(f"{BASE}/faq?saved={entry_id}", status_code=303)


@router.post(f"{BASE}/faq/{{entry_id}}/retire")
async def faq_retire(user: CurrentUser, entry_id: str) -> Response:
    runtime = get_runtime()
    form = _existing(runtime, entry_id)
    form.retired = True
    problems = save_form(runtime.settings.corpus_dir, form, date.today())
    if any(p.severity == "error" for p in problems):
        html = page("Vraag bewerken", faq_form_html(form, False, problems), user.name)
        return HTMLResponse(html, status_code=422)
    return RedirectResponse(f"{BASE}/faq?saved={entry_id}", status_code=303)


@router.get(f"{BASE}/faq/{{entry_id}}/preview")
async def faq_preview(user: CurrentUser, entry_id: str, q: str = "") -> HTMLResponse:
    runtime = get_runtime()
    form = _existing(runtime, entry_id)
    stored = [e.question for e in runtime.container.conversations.exchanges()]
    questions = list(dict.fromkeys([q, *form.variants, *reversed(stored)]))
    questions = [x for x in questions if x.strip()][:PREVIEW_QUESTIONS]
    matcher = runtime.container.card_strategy.matcher
    threshold = matcher.scorer.answer_threshold

    def rank() -> list[tuple[str, str, float]]:
        rows = []
        for question in questions:
            ranked = matcher.rank(question, limit=1)
            if ranked:
                rows.append((question, ranked[0].card.id, ranked[0].probability))
        return rows

    rows = await asyncio.to_thread(rank)
    lines = []
    for question, matched, score in sorted(rows, key=lambda r: -r[2]):
        if matched != entry_id and question != q:
            continue
        if matched == entry_id and score >= threshold:
            verdict, css = "krijgt dit antwoord", "ok"
        elif matched == entry_id:
            verdict, css = "lijkt erop, maar te zwak", "warn"
        else:
            verdict, css = f"past beter bij '{matched}'", "bad"
        lines.append(
            f"<tr><td>{esc(question)}</td><td class='{css}'>{verdict}</td><td>{score:.3f}</td></tr>"
        )
    body = (
        f"<p>Vraag: <strong>{esc(form.question)}</strong>. "
        f"Drempel: {threshold:.2f} (kans dat de kaart past)."
        " De lijst toont de andere vraagvormen en vragen uit de chat (zonder persoonsgegevens)."
        f"</p><form method='get'><label for='q'>Probeer een vraag</label>"
        f"<input id='q' name='q' value='{esc(q)}' size='60'>"
        "<div><button type='submit'>Bekijk</button></div></form>"
        "<table><thead><tr><th scope='col'>Vraag</th><th scope='col'>Uitkomst</th>"
        f"<th scope='col'>Score</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )
    return HTMLResponse(page("Welke vragen passen?", body, user.name))
