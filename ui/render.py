"""Turn an Answer into what the widget shows: text, numbered sources, marks, crisis card."""

from __future__ import annotations

from typing import Any

import chainlit as cl

from wegwijs.domain import Answer, Strategy

FAQ_MARK = "✅ *Dit antwoord is gecontroleerd door de organisatie.*"
LOW_CONFIDENCE_MARK = (
    "⚠️ *Ik weet dit niet zeker. Controleer het bij de bron of vraag het aan je gemeente.*"
)


def render_answer(answer: Answer) -> tuple[str, list[Any]]:
    parts = [answer.answer]
    if answer.strategy is Strategy.faq:
        parts.append(FAQ_MARK)
    if answer.low_confidence:
        parts.append(LOW_CONFIDENCE_MARK)
    elements: list[Any] = []
    if answer.citations:
        lines = ["**Bronnen**"]
        for number, citation in enumerate(answer.citations, start=1):
            name = f"Bron {number}"
            heading = f" – {citation.heading}" if citation.heading else ""
            lines.append(f"{number}. [{citation.title}{heading}]({citation.url}) ({name})")
            quote = f"> {citation.quote}\n\n" if citation.quote else ""
            elements.append(
                cl.Text(
                    name=name,
                    content=f"**{citation.title}**{heading}\n\n{quote}[Lees meer]({citation.url})",
                    display="side",
                )
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts), elements


def crisis_card_props(answer: Answer) -> dict[str, Any]:
    return {
        "title": "Je hoeft dit niet alleen te doen",
        "lead": "Er is nu iemand die met je kan praten.",
        "closing": "Je kunt daarna hier verder met je vraag.",
        "contacts": [
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
        ],
    }
