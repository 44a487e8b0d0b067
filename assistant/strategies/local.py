"""Local providers: "welke dagbesteding is er bij mij in de buurt?" answered from the listings.

The listing is chosen by structured filter (service x gemeente, and the PC4 range when known),
never by similarity. The answer carries strategy "extractive": it is composed from stored data
without a language model, and the contract has no separate value for it. Each provider shown is
a citation with id "provider:<name>", so evaluators can see where the answer came from.
"""

from __future__ import annotations

from typing import Any

from assistant.base import AnswerRequest
from assistant.providers import LocalQuestion, ProviderDirectory, display_name
from wegwijs.domain import Answer, Citation, Provider, Route, ScoredChunk, Strategy
from wegwijs.links import is_source_url
from wegwijs.safe_markdown import escape_markdown

MAX_LISTED = 6


class LocalProvidersStrategy:
    def __init__(self, directory: ProviderDirectory, texts: dict[str, Any]) -> None:
        self.directory = directory
        self.texts = texts

    def detect(self, request: AnswerRequest) -> LocalQuestion | None:
        return self.directory.local_question(
            request.question, request.municipality, request.postcode4
        )

    async def answer(self, request: AnswerRequest, passages: list[ScoredChunk]) -> Answer | None:
        local = self.detect(request)
        if local is None:
            return None
        t = self.texts
        service = t["service_names"].get(local.service, local.service)
        if local.gemeente is None:
            return _answer(t["providers_ask_place"].format(service=service).strip(), [])
        found = self.directory.find(local.service, local.gemeente, local.pc4)[:MAX_LISTED]
        if not found:
            text = t["providers_none"].format(service=service, gemeente=local.gemeente)
            return _answer(text.strip(), [])
        lines = [t["providers_intro"].format(service=service, gemeente=local.gemeente)]
        for provider in found:  # listing fields are data: shown literally, never as Markdown
            description = (
                f": {escape_markdown(provider.description)}" if provider.description else ""
            )
            url = provider.url if is_source_url(provider.url) else ""
            contact = ", ".join(x for x in (escape_markdown(provider.phone), url) if x)
            lines.append(
                t["provider_line"].format(
                    name=escape_markdown(display_name(provider)),
                    description=description,
                    contact=f" ({contact})" if contact else "",
                )
            )
        paragraphs = ["\n".join(lines)]
        if any(p.example for p in found):  # said first, before any listing is read
            paragraphs.insert(0, t["providers_example_note"])
        paragraphs.append(t["providers_how"])
        return _answer("\n\n".join(paragraphs), [provider_citation(p, local) for p in found])


def provider_citation(provider: Provider, local: LocalQuestion) -> Citation:
    return Citation(
        id=f"provider:{provider.name}",
        title=display_name(provider),
        url=provider.url,
        law="algemeen",
        heading=local.service,
        quote=provider.description,
    )


def _answer(text: str, citations: list[Citation]) -> Answer:
    return Answer(
        route=Route.answer,
        strategy=Strategy.extractive if citations else Strategy.none,
        answer=text,
        citations=citations,
    )
