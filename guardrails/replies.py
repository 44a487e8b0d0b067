"""Replies that need no LLM, no vector store and no database: crisis, medical, out of scope."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from guardrails.contacts import Clock, ContactRouter, amsterdam_now
from wegwijs.config import OrganisationSettings
from wegwijs.domain import Answer, Contact, CrisisKind, Route, Strategy, Verdict

TEXTS_DIR = Path(__file__).parent / "texts"
ACUTE_REASON = "crisis:acute"


class ReplyTexts:
    """Dutch reply texts from guardrails/texts/*.nl.md, read once."""

    def __init__(self, directory: Path = TEXTS_DIR) -> None:
        self._texts = {
            path.name.removesuffix(".nl.md"): path.read_text(encoding="utf-8").strip()
            for path in directory.glob("*.nl.md")
        }

    def render(self, template: str, /, **values: str) -> str:
        return self._texts[template].format_map(values)


def tel_link(phone: str) -> str:
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


class ReplyBuilder:
    def __init__(
        self,
        contacts: Sequence[Contact],
        organisation: OrganisationSettings,
        clock: Clock = amsterdam_now,
        texts: ReplyTexts | None = None,
    ) -> None:
        self.router = ContactRouter(contacts, clock)
        self.organisation = organisation
        self.texts = texts or ReplyTexts()

    def for_verdict(self, verdict: Verdict) -> Answer | None:
        """The reply for a non-answer route; None when the question goes to the answer engine."""
        if verdict.route is Route.crisis and verdict.crisis_kind is not None:
            return self.crisis(verdict.crisis_kind, ACUTE_REASON in verdict.reasons, verdict)
        if verdict.route is Route.medical_refusal:
            return self.medical_refusal()
        if verdict.route is Route.out_of_scope:
            return self.out_of_scope(verdict.reasons)
        return None

    def crisis(self, kind: CrisisKind, acute: bool, verdict: Verdict | None = None) -> Answer:
        acute_violence = acute and kind is CrisisKind.violence
        template = f"crisis_{kind.value}" + ("_acute" if acute_violence else "")
        reasons = verdict.reasons if verdict else ()
        keys = [template.removeprefix("crisis_")]
        keys += [r.removeprefix("crisis:kind:") for r in reasons if r.startswith("crisis:kind:")]
        contacts = self.router.for_kinds(keys)
        text = self.texts.render(template, contacts=self.contact_lines(contacts))
        return Answer(
            route=Route.crisis,
            strategy=Strategy.none,
            answer=text,
            crisis_kind=kind,
            contacts=contacts,
        )

    def concern(self, kind: CrisisKind | None) -> tuple[str, list[Contact]]:
        """The short line with human contacts that goes above a normal answer."""
        key = f"concern_{kind.value}" if kind else "concern"
        contacts = self.router.for_kinds([key])
        contacts += self._organisation_contact()
        template = "concern_emergency" if kind is CrisisKind.emergency else "concern"
        return self.texts.render(template, contacts=self.contact_lines(contacts)), contacts

    def _organisation_contact(self) -> list[Contact]:
        phone = self.organisation.contact_phone.strip()
        if not phone:
            return []
        return [
            Contact(
                id="organisatie",
                name=self.organisation.name,
                phones=(phone,),
                situations=("talk",),
                hours="",
                url=self.organisation.contact_url.strip(),
            )
        ]

    def medical_refusal(self) -> Answer:
        phone = self.organisation.huisartsenpost_phone.strip()
        line = (
            self.texts.render("huisartsenpost_with_phone", phone=phone, tel=tel_link(phone))
            if phone
            else self.texts.render("huisartsenpost_without_phone")
        )
        contacts = []
        if phone:
            contacts.append(
                Contact(
                    id="huisartsenpost",
                    name="Huisartsenpost",
                    phones=(phone,),
                    situations=("medical",),
                    hours="'s avonds, 's nachts en in het weekend",
                )
            )
        return Answer(
            route=Route.medical_refusal,
            strategy=Strategy.none,
            answer=self.texts.render("medical_refusal", huisartsenpost=line),
            contacts=contacts,
        )

    def out_of_scope(self, reasons: Sequence[str] = ()) -> Answer:
        return Answer(
            route=Route.out_of_scope,
            strategy=Strategy.none,
            answer=self.input_message(reasons) or self.texts.render("out_of_scope"),
        )

    def input_message(self, reasons: Sequence[str], max_chars: int = 4000) -> str | None:
        """The Dutch message for empty, too long, binary or unprocessable input, if any."""
        for reason in reasons:
            if reason.startswith("input:"):
                name = "input_" + reason.removeprefix("input:")
                return self.texts.render(name, max_chars=str(max_chars))
        return None

    def contact_lines(self, contacts: Sequence[Contact]) -> str:
        lines = []
        for contact in contacts:
            links = [f"[{p}]({t})" for p, t in zip(contact.phones, contact.tel_links, strict=True)]
            phones = ("bel " + " of ".join(links)) if links else ""
            chat = ""
            if contact.chat_url:
                shown = contact.chat_url.removeprefix("https://").removeprefix("www.").rstrip("/")
                chat = (". Chat via " if phones else "chat via ") + f"[{shown}]({contact.chat_url})"
            hours = contact.hours.strip().rstrip(".") + "." if contact.hours else ""
            lines.append(
                self.texts.render(
                    "contact_line", name=contact.name, phones=phones, chat=chat, hours=hours
                )
            )
        return "\n".join(lines)
