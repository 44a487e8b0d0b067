"""`Guardrails`: the one entry point that inspects every user message before anything else.

Order: unreadable input (empty, binary, too long) -> crisis on the raw text (crisis wins over
everything) -> medical advice -> injection/misuse -> PII redaction. Only `redacted_text` may
flow on to logs, storage and the LLM. Works with the LLM, vector store and database all down.

Two layers decide: the rules (precise: explicit phrases, negation, kind mapping) and the
classifier heads on e5 (general: words nobody wrote a rule for), see guardrails/levels.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.classifier import GuardClassifier, GuardScores
from guardrails.contacts import Clock, amsterdam_now
from guardrails.crisis import CrisisDetector, CrisisFinding
from guardrails.injection import InjectionDetector, InjectionFinding
from guardrails.levels import Levels
from guardrails.medical import MedicalAdviceDetector
from guardrails.output_check import OutputCheck, OutputVerdict
from guardrails.protocols import PiiRedactor
from guardrails.replies import ACUTE_REASON, ReplyBuilder
from wegwijs.config import Settings
from wegwijs.domain import Answer, Contact, CrisisKind, Entity, Route, Verdict
from wegwijs.embedding import Embedder

log = logging.getLogger("wegwijs.guardrails")
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
        classifier: GuardClassifier | None = None,
    ) -> None:
        if classifier is None and embedder is not None:
            classifier = GuardClassifier(embedder)
        self.classifier = classifier
        self.levels = Levels(classifier.heads.thresholds if classifier else None)
        self.crisis = CrisisDetector.from_files()
        self.medical = MedicalAdviceDetector.from_files()
        self.injection = InjectionDetector.from_files()
        self.pii = pii
        self.replies = ReplyBuilder(contacts, settings.organisation, clock)
        self.contacts_problem: str | None = None  # set when contacts.yaml could not be used
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
        rules = self.crisis.detect(text[:CRISIS_SCAN_CHARS])
        scores = self._scores(text[:CRISIS_SCAN_CHARS])
        crisis = self.levels.crisis(rules, scores)
        concern, concern_kind = self.levels.concern(rules, scores)
        if len(text) > context.max_chars:
            if crisis is not None:
                return _crisis_verdict(crisis, "", (), None, False, ("input:too_long",))
            return _unreadable("input:too_long", concern, concern_kind)
        injection = self.injection.detect(text)
        try:
            redacted = self.pii.redact(text)
        except Exception:  # noqa: BLE001 - fail closed: raw text must never flow on
            if crisis is not None:
                return _crisis_verdict(crisis, "", (), None, False, ("input:unavailable",))
            return _unreadable("input:unavailable", concern, concern_kind)
        is_injection = bool(injection and injection.injection)
        if crisis is not None:
            return _crisis_verdict(
                crisis, redacted.redacted_text, redacted.entities, redacted.postcode4, is_injection
            )
        reasons = _injection_reasons(injection) + self.levels.reasons(scores)
        route = Route.answer
        medical = self.medical.detect(text)
        if self.levels.medical(medical is not None, scores) or (
            injection and injection.medical_roleplay
        ):
            route = Route.medical_refusal
            reasons = tuple(f"medical:{r}" for r in (medical.rule_ids if medical else ())) + reasons
        elif injection is not None or self.levels.out_of_scope(scores):
            route = Route.out_of_scope
        return Verdict(
            route=route,
            redacted_text=redacted.redacted_text,
            entities=redacted.entities,
            injection=is_injection,
            postcode4=redacted.postcode4,
            reasons=reasons,
            concern=concern,
            concern_kind=concern_kind,
        )

    def _scores(self, text: str) -> GuardScores | None:
        """The classifier's scores; None without a model, or when it fails (rules still run)."""
        if self.classifier is None:
            return None
        try:
            return self.classifier.score(text)
        except Exception:  # a classifier fault must never silence the crisis rules
            log.exception("guard classifier failed; deciding on the rules alone")
            return None

    def reply(self, verdict: Verdict) -> Answer | None:
        """The finished reply for crisis, medical and out-of-scope routes (None for `answer`)."""
        return self.replies.for_verdict(verdict)

    def concern(self, verdict: Verdict) -> tuple[str, list[Contact]] | None:
        """The line with human contacts above a normal answer, when the verdict has a concern."""
        if not verdict.concern or verdict.route is Route.crisis:
            return None
        return self.replies.concern(verdict.concern_kind)

    def check_output(
        self, answer_text: str, allowed: Sequence[str] = (), source_text: str = ""
    ) -> OutputVerdict:
        """Run on every answer before it is shown: no PII echoed, no medical advice."""
        return self.output.check(answer_text, allowed, source_text)


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


def _unreadable(
    reason: str, concern: bool = False, concern_kind: CrisisKind | None = None
) -> Verdict:
    return Verdict(
        route=Route.out_of_scope,
        redacted_text="",
        reasons=(reason,),
        concern=concern,
        concern_kind=concern_kind,
    )


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:2000]
    if not sample:
        return False
    odd = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t") or ch == "\ufffd")
    return odd / len(sample) > 0.05
