"""`wegwijs corpus check`: everything a coordinator needs to know before a change goes live."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ingest.corpus import Corpus
from ingest.problems import Problem, error, warning
from wegwijs.readability import Readability, measure

MAX_AVG_SENTENCE = 20.0
WARN_AVG_SENTENCE = 15.0


@dataclass
class CheckReport:
    corpus: Corpus
    today: date = field(default_factory=date.today)
    readability: dict[str, Readability] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    def to_json(self) -> dict[str, Any]:
        corpus = self.corpus
        towns = sorted({m for p in corpus.providers for m in p.municipalities})
        return {
            "ok": self.errors == 0,
            "documents": len(corpus.documents),
            "faq": len(corpus.faq),
            "cards": len(corpus.library),
            "cards_by_topic": dict(
                sorted(Counter(c.topic or c.law.value for c in corpus.library).items())
            ),
            "review_due": [c.id for c in corpus.cards if c.review_by and c.review_by < self.today],
            "gemeenten": sorted(g.gemeente for g in corpus.gemeenten.values()),
            "providers": len(corpus.providers),
            "pc4": len(corpus.pc4),
            "laws": dict(sorted(Counter(d.law.value for d in corpus.documents).items())),
            "provider_municipalities": towns,
            "errors": self.errors,
            "warnings": self.warnings,
            "problems": [p.to_json() for p in self.problems],
            "readability": [
                {
                    "id": doc_id,
                    "sentences": r.sentences,
                    "words": r.words,
                    "avg_sentence_words": r.avg_sentence_words,
                    "flesch_douma": r.flesch_douma,
                }
                for doc_id, r in self.readability.items()
            ],
        }


def check_corpus(corpus: Corpus) -> CheckReport:
    report = CheckReport(corpus=corpus, problems=list(corpus.problems))
    for doc in corpus.documents:
        stats = measure(doc.text)
        report.readability[doc.id] = stats
        label = f"gemiddeld {stats.avg_sentence_words} woorden per zin"
        if stats.avg_sentence_words > MAX_AVG_SENTENCE:
            report.problems.append(error(doc.path, 1, f"{label} (maximaal {MAX_AVG_SENTENCE:g})"))
        elif stats.avg_sentence_words > WARN_AVG_SENTENCE:
            report.problems.append(
                warning(doc.path, 1, f"{label} (liefst {WARN_AVG_SENTENCE:g} of minder)")
            )
    for entry in corpus.cards:  # the approved FAQ and the library
        stats = measure(entry.answer)
        if stats.avg_sentence_words > MAX_AVG_SENTENCE:
            report.problems.append(
                error(
                    entry.path, 1, f"antwoord: gemiddeld {stats.avg_sentence_words} woorden per zin"
                )
            )
    if not (corpus.root / "contacts.yaml").exists():
        report.problems.append(error("contacts.yaml", 1, "contactenlijst ontbreekt"))
    report.problems.sort(key=lambda p: (p.path, p.line))
    return report
