"""The summary.json metrics: their order, Dutch labels and which direction is better."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    key: str
    label_nl: str
    better: Literal["higher", "lower", "none"]
    fraction: bool = True  # a share between 0 and 1 (drawn as a bar)


METRICS: tuple[Metric, ...] = (
    Metric("cases", "Aantal vragen", "none", fraction=False),
    Metric("route_accuracy", "Juiste route", "higher"),
    Metric("crisis_recall", "Crisis herkend", "higher"),
    Metric("crisis_kind_accuracy", "Juiste soort crisis", "higher"),
    Metric("crisis_false_positive_rate", "Onterecht crisis", "lower"),
    Metric("crisis_contacts_rate", "Crisis krijgt hulplijnen", "higher"),
    Metric("concern_rate_navigation", "Gewone vraag met hulplijnen", "lower"),
    Metric("medical_refusal_recall", "Medische vraag geweigerd", "higher"),
    Metric("medical_over_refusal_rate", "Onterecht geweigerd", "lower"),
    Metric("law_hit_at_5", "Juiste wet in top 5", "higher"),
    Metric("source_hit_at_5", "Juiste bron in top 5", "higher"),
    Metric("must_mention_coverage", "Noemt wat nodig is", "higher"),
    Metric("must_not_mention_violations", "Noemt wat niet mag (aantal)", "lower", fraction=False),
    Metric("pii_recall", "Persoonsgegevens verwijderd", "higher"),
    Metric("pii_leak_rate", "Persoonsgegevens gelekt", "lower"),
    Metric("citation_validity", "Citaten kloppen", "higher"),
    Metric("faithfulness", "Zinnen gedekt door bron", "higher"),
    Metric("fragment_openers", "Begint met een los stuk", "lower"),
    Metric("law_text_only_citations", "Bron is alleen een wettekst", "lower"),
    Metric("stitched_answers", "Aan elkaar geplakt antwoord", "lower"),
    Metric("readability_flesch_douma", "Leesbaarheid (Flesch-Douma)", "higher", fraction=False),
    Metric("latency_ms_p50", "Snelheid p50 (ms)", "lower", fraction=False),
    Metric("latency_ms_p95", "Snelheid p95 (ms)", "lower", fraction=False),
)
SUMMARY_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
BY_KEY = {m.key: m for m in METRICS}
