"""`Guardrails`: the one entry point that inspects every user message before anything else.

Order: unreadable input (empty, binary, too long) -> crisis on the raw text (crisis wins over
everything) -> medical advice -> injection/misuse -> PII redaction. Only `redacted_text` may
flow on to logs, storage and the LLM. Works with the LLM, vector store and database all down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.contacts import Clock, amsterdam_now
from guardrails.crisis import CrisisDetector, CrisisFinding, ExemplarIndex
from guardrails.injection import InjectionDetector, InjectionFinding
from guardrails.medical import MedicalAdviceDetector
from guardrails.output_check import OutputCheck, OutputVerdict
from guardrails.protocols import PiiRedactor
from guardrails.replies import ACUTE_REASON, ReplyBuilder
from wegwijs.config import Settings
from wegwijs.domain import Answer, Contact, Entity, Route, Verdict
from wegwijs.embedding import Embedder

MAX_INPUT_CHARS = 4000
CRISIS_SCAN_CHARS = 50_000  # even an over-long message is scanned for crisis (linear regexes)


@dataclass(frozen=True)
class InspectContext:
    max_chars: int = MAX_INPUT_CHARS


class Guardrails:
    """Built once by the composition root; `inspect` is pure and thread-safe after that."""

    def __init__(
        self,
        settings: Settings,
        pii: PiiRedactor,
        embedder: Embedder | None,
        contacts: Sequence[Contact],
        clock: Clock = amsterdam_now,
    ) -> None:
        exemplars = ExemplarIndex.from_file(embedder) if embedder is not None else None
        self.crisis = CrisisDetector.from_files(exemplars)
        self.medical = MedicalAdviceDetector.from_files()
        self.injection = InjectionDetector.from_files()
        self.pii = pii
        self.replies = ReplyBuilder(contacts, settings.organisation, clock)
        self.output = OutputCheck(
            pii,
            MedicalAdviceDetector.for_answers(),
            refusal_text=self.replies.medical_refusal().answer,
            allowed=[p for c in contacts for p in c.phones]
            + [settings.organisation.contact_phone, settings.organisation.huisartsenpost_phone],
        )

    def inspect(self, text: str, context: InspectContext | None = None) -> Verdict:
        context = context or InspectContext()
        if _looks_binary(text):
            return _unreadable("input:binary")
        if not text.strip():
            return _unreadable("input:empty")
        crisis = self.crisis.detect(text[:CRISIS_SCAN_CHARS])
        if len(text) > context.max_chars:
            if crisis is not None:
                return _crisis_verdict(crisis, "", (), None, False, ("input:too_long",))
            return _unreadable("input:too_long")
        injection = self.injection.detect(text)
        try:
            redacted = self.pii.redact(text)
        except Exception:  # noqa: BLE001 - fail closed: raw text must never flow on
            if crisis is not None:
                return _crisis_verdict(crisis, "", (), None, False, ("input:unavailable",))
            return _unreadable("input:unavailable")
        is_injection = bool(injection and injection.injection)
        if crisis is not None:
            return _crisis_verdict(
                crisis, redacted.redacted_text, redacted.entities, redacted.postcode4, is_injection
            )
        medical = self.medical.detect(text)
        reasons = _injection_reasons(injection)
        route = Route.answer
        if medical is not None or (injection and injection.medical_roleplay):
            route = Route.medical_refusal
            reasons = tuple(f"medical:{r}" for r in (medical.rule_ids if medical else ())) + reasons
        elif injection is not None:
            route = Route.out_of_scope
        return Verdict(
            route=route,
            redacted_text=redacted.redacted_text,
            entities=redacted.entities,
            injection=is_injection,
            postcode4=redacted.postcode4,
            reasons=reasons,
        )

    def reply(self, verdict: Verdict) -> Answer | None:
        """The finished reply for crisis, medical and out-of-scope routes (None for `answer`)."""
        return self.replies.for_verdict(verdict)

    def check_output(
        self, answer_text: str, allowed: Sequence[str] = (), source_text: str = ""
    ) -> OutputVerdict:
        """Run on every answer before it is shown: no PII echoed, no medical advice."""
        return self.output.check(answer_text, allowed, source_text)

    def document_has_injection(self, text: str) -> bool:
        """For retrieved corpus text: instructions inside a document are data, never obeyed."""
        finding = self.injection.detect(text)
        return bool(finding and finding.injection)


def _crisis_verdict(
    crisis: CrisisFinding,
    redacted_text: str,
    entities: tuple[Entity, ...],
    postcode4: str | None,
    injection: bool,
    extra: tuple[str, ...] = (),
) -> Verdict:
    reasons = tuple(f"crisis:{r}" for r in crisis.rule_ids)
    reasons += tuple(f"crisis:kind:{k.value}" for k in crisis.kinds)
    reasons += (ACUTE_REASON,) if crisis.acute else ()
    return Verdict(
        route=Route.crisis,
        redacted_text=redacted_text,
        entities=entities,
        crisis_kind=crisis.kind,
        injection=injection,
        postcode4=postcode4,
        reasons=reasons + extra,
    )


def _injection_reasons(finding: InjectionFinding | None) -> tuple[str, ...]:
    return tuple(f"injection:{r}" for r in finding.rule_ids) if finding else ()


def _unreadable(reason: str) -> Verdict:
    return Verdict(route=Route.out_of_scope, redacted_text="", reasons=(reason,))


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:2000]
    if not sample:
        return False
    odd = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t") or ch == "\ufffd")
    return odd / len(sample) > 0.05
