"""The honest reply when no card fits and no language model answers: who to ask instead.

Its texts (and the local listings' texts) are in assistant/texts/answers.nl.yaml. Text cut from
different documents is never stitched into an answer: a trial on blind questions found such
answers helpful 0 times in 73 (see the answer-cards issue in the README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.base import AnswerRequest
from wegwijs.config import OrganisationSettings
from wegwijs.domain import Answer, Route, ScoredChunk, Strategy

TEXTS_PATH = Path(__file__).resolve().parent.parent / "texts" / "answers.nl.yaml"


def load_texts(path: Path = TEXTS_PATH) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of texts")
    return data


class WhoToAsk:
    def __init__(self, organisation: OrganisationSettings, texts: dict[str, Any] | None = None):
        self.organisation = organisation
        self.texts = texts or load_texts()

    def no_answer(self, request: AnswerRequest, retrieved: list[ScoredChunk]) -> Answer:
        t = self.texts
        gemeente = request.municipality or t["your_gemeente"]
        lines = [t["no_answer"].strip()]
        org = self.organisation
        if org.contact_phone or org.contact_url:
            contact = ", ".join(x for x in (org.contact_phone, org.contact_url) if x)
            lines.append(t["no_answer_organisation"].format(name=org.name, contact=f": {contact}"))
        lines.append(t["no_answer_wmo"].format(gemeente=gemeente))
        lines.append(t["no_answer_huisarts"])
        lines.append("")
        lines.append(t["no_answer_rephrase"])
        return Answer(
            route=Route.answer,
            strategy=Strategy.none,
            answer="\n".join(lines),
            low_confidence=True,
            retrieved=retrieved,
        )
