"""Turn an Answer into what the widget shows: text, numbered sources, marks, crisis card.

Everything shown as Markdown passes `wegwijs.safe_markdown.safe_markdown` last: no images, and
links only to https hosts on the allowlist (`link_allowlist`: the `ui.link_hosts` setting plus
the hosts of the corpus' own source URLs and the organisation's contact page).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import chainlit as cl

from wegwijs.config import Settings
from wegwijs.domain import Answer, Strategy
from wegwijs.links import LinkAllowlist, host_of, is_source_url
from wegwijs.safe_markdown import escape_markdown, safe_markdown

if TYPE_CHECKING:
    from ingest.corpus import Corpus

FAQ_MARK = "**Goedgekeurd antwoord** van de organisatie."
LIBRARY_MARK = (
    "Antwoord uit de **Wegwijs-bibliotheek** (algemene informatie, gecontroleerd op de bron)."
)
ASK_PLACE = "ask:place"
LOW_CONFIDENCE_MARK = (
    "**Let op:** ik weet dit niet zeker. Controleer het bij de bron of vraag het aan je gemeente."
)


# Chainlit's Markdown renderer drops the tel: scheme (an empty link); the crisis card carries
# the real tap-to-call links, so in message text a number is shown in bold instead.
TEL_LINK = re.compile(r"\[([^\]]+)\]\(tel:[^)]*\)")


def link_allowlist(settings: Settings, corpus: Corpus | None = None) -> LinkAllowlist:
    urls = [settings.organisation.contact_url, *(corpus.source_urls() if corpus else ())]
    hosts = [host for host in map(host_of, urls) if host]
    return LinkAllowlist([*settings.ui.link_hosts, *hosts])


def widget_text(text: str, links: LinkAllowlist | None = None) -> str:
    """Markdown for the widget; without `links`, the running server's allowlist."""
    return safe_markdown(
        TEL_LINK.sub(r"**\1**", text), links if links is not None else _server_links()
    )


def _server_links() -> LinkAllowlist:
    from ui.runtime import get_runtime

    return get_runtime().links


def source_label(url: str) -> str:
    """'https://www.regelhulp.nl/onderwerpen/pgb' -> 'regelhulp.nl/onderwerpen/pgb'."""
    bare = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return bare if len(bare) <= 60 else bare[:57] + "..."


def render_answer(answer: Answer, links: LinkAllowlist | None = None) -> tuple[str, list[Any]]:
    """Answer text, marks, and the sources: the readable page first, the law article behind it."""
    parts = [answer.answer]
    if answer.strategy is Strategy.faq:
        parts.append(FAQ_MARK)
    elif answer.strategy is Strategy.card:
        parts.append(LIBRARY_MARK)
    if answer.low_confidence and not answer.choices:
        parts.append(LOW_CONFIDENCE_MARK)
    if answer.citations:
        lines = ["**Lees meer**", ""]
        for number, citation in enumerate(answer.citations, start=1):
            heading = f" – {citation.heading}" if citation.heading else ""
            lines.append(f"{number}. {_link(citation.title + heading, citation.url)}")
            if citation.legal:
                laws = ", ".join(_link(item.label, item.url) for item in citation.legal)
                lines.append(f"   Wet: {laws}")
            if citation.quote:
                lines.append(f"   > {escape_markdown(citation.quote)}")
        parts.append("\n".join(lines))
    return widget_text("\n\n".join(parts), links), []


def _link(label: str, url: str) -> str:
    """`[label](url)` with the label shown literally; only the label for a bad URL."""
    text = escape_markdown(label)
    return f"[{text}]({url})" if is_source_url(url) else text


def actions_for(answer: Answer) -> list[cl.Action]:
    """Buttons under an answer: cards to open ("Bedoel je...?", guided start) and asking for
    the place (the local next step)."""
    actions = []
    for choice in answer.choices:
        if choice.id == ASK_PLACE:
            actions.append(
                cl.Action(name="place", payload={"card": answer.card_id}, label=choice.label)
            )
        else:
            actions.append(
                cl.Action(
                    name="card",
                    payload={"id": choice.id, "label": choice.label},
                    label=choice.label,
                )
            )
    return actions


def crisis_card_props(answer: Answer) -> dict[str, Any]:
    return {
        "title": "Je hoeft dit niet alleen te doen",
        "lead": "Er is nu iemand die met je kan praten.",
        "closing": "Je kunt daarna hier verder met je vraag.",
        "contacts": contact_props(answer),
    }


def concern_card_props(answer: Answer) -> dict[str, Any]:
    """The smaller box above a normal answer when the message shows distress or risk."""
    return {
        "title": "Praten kan altijd",
        "lead": "Deze mensen luisteren naar je. Ook nu.",
        "closing": "Bel of chat gerust, ook als het over iemand anders gaat.",
        "variant": "concern",
        "contacts": contact_props(answer),
    }


def contact_props(answer: Answer) -> list[dict[str, Any]]:
    return [
        {
            "name": contact.name,
            "hours": contact.hours,
            "chat_url": contact.chat_url,
            "phones": [
                {"display": display, "tel": tel}
                for display, tel in zip(contact.phones, contact.tel_links, strict=True)
            ],
        }
        for contact in answer.contacts
    ]
