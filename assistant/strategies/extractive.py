"""Extractive answers: the most relevant sentences of the best passages, quoted with sources.

The embedded default (no language model). Per question: split the top passages into whole
sentences, score each against the question (e5 cosine plus stemmed word overlap), take the best
sentence of each strong passage first (different sources), fill up to MAX_SENTENCES, keep the
original order inside a passage, and end with a "Lees meer:" list. Nothing is paraphrased, so
nothing can be invented; the framing texts are in assistant/texts/extractive.nl.yaml.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assistant.base import AnswerRequest, chunk_citation
from assistant.retrieval import Retriever
from wegwijs.config import OrganisationSettings
from wegwijs.domain import Answer, Citation, Route, ScoredChunk, Strategy
from wegwijs.embedding import Embedder
from wegwijs.sparse import DutchSparseEncoder

TEXTS_PATH = Path(__file__).resolve().parent.parent / "texts" / "extractive.nl.yaml"
MAX_PASSAGES = 4
MIN_SENTENCES = 2
MAX_SENTENCES = 4
SOURCE_MARGIN = 0.04  # a passage's best sentence is used when within this of the best overall
LEXICAL_WEIGHT = 0.15
MIN_WORDS, MAX_WORDS = 5, 60
# Sentences that lean on the one before them ("Dat heet ...", "Dan betaalt ...").
ANAPHOR = re.compile(
    r"^(dat|dit|die|deze|daar|daarom|daarvoor|daarna|daarin|daarmee|daarbij|daarover|dan|zo|"
    r"dus|hierdoor|hierin|hiermee|hierbij|daardoor|hij|zij|ze|hun|het is|ook|maar|want|"
    r"bovendien)\b",
    re.I,
)
LIST_MARK = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
MARKUP = re.compile(r"\*\*|__|`|\[([^\]]*)\]\([^)]*\)")
SENTENCE_CACHE = 4096
# Split after . ! ? before a capital (so "bijv. de" stays whole), at blank lines and list items;
# never at ; or : (those are inside a sentence).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý0-9\"'‘“(])|\n{2,}|\n(?=\s*(?:[-*]|\d+\.)\s)")


def load_texts(path: Path = TEXTS_PATH) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of texts")
    return data


@dataclass(frozen=True)
class Candidate:
    passage: int  # rank of the passage it comes from
    index: int  # position of the sentence inside the passage
    text: str
    score: float


class ExtractiveStrategy:
    def __init__(
        self,
        retriever: Retriever,
        embedder: Embedder,
        sparse: DutchSparseEncoder,
        organisation: OrganisationSettings,
        texts: dict[str, Any] | None = None,
    ) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.sparse = sparse
        self.organisation = organisation
        self.texts = texts or load_texts()
        self._sentence_vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    async def answer(self, request: AnswerRequest, passages: list[ScoredChunk]) -> Answer | None:
        return self.answer_now(request, passages)

    def answer_now(self, request: AnswerRequest, passages: list[ScoredChunk]) -> Answer | None:
        """Quote the best sentences; None when there is nothing to quote. Blocking (embeds)."""
        chosen = self.select(request.question, passages[:MAX_PASSAGES])
        if not chosen:
            return None
        return self.compose(request, passages, chosen)

    def no_answer(self, request: AnswerRequest, retrieved: list[ScoredChunk]) -> Answer:
        """The honest reply when nothing relevant was found: who to ask instead."""
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

    # -- selection -----------------------------------------------------------------------

    def select(self, question: str, passages: list[ScoredChunk]) -> list[Candidate]:
        candidates = self.candidates(question, passages)
        if not candidates:
            return []
        best = max(c.score for c in candidates)
        by_passage: dict[int, list[Candidate]] = {}
        for c in candidates:
            by_passage.setdefault(c.passage, []).append(c)
        chosen: list[Candidate] = []
        for rank in sorted(by_passage):  # diversity: the best sentence of each strong passage
            top = max(by_passage[rank], key=lambda c: c.score)
            if top.score >= best - SOURCE_MARGIN and len(chosen) < MAX_SENTENCES - 1:
                chosen.append(top)
        for c in sorted(candidates, key=lambda c: -c.score):  # then fill with the next best
            if len(chosen) >= MIN_SENTENCES and (
                len(chosen) >= MAX_SENTENCES - 1 or c.score < best - 2 * SOURCE_MARGIN
            ):
                break
            leans_back = ANAPHOR.match(c.text) and not any(
                o.passage == c.passage and o.index == c.index - 1 for o in chosen
            )
            if c not in chosen and not leans_back:  # a filler must stand on its own
                chosen.append(c)
        chosen = self._with_antecedents(chosen, passages)
        return sorted(chosen, key=lambda c: (c.passage, c.index))

    def candidates(self, question: str, passages: list[ScoredChunk]) -> list[Candidate]:
        raw: list[tuple[int, int, str]] = []
        for rank, hit in enumerate(passages):
            for index, sentence in enumerate(split_sentences(hit.chunk.text)):
                if MIN_WORDS <= len(sentence.split()) <= MAX_WORDS and sentence[-1] not in "?:":
                    raw.append((rank, index, sentence))
        if not raw:
            return []
        query = self.retriever.embed_query(question)
        vectors = self._vectors([text for _, _, text in raw])
        cosines = vectors @ query
        terms = set(self.sparse.terms(question))
        out = []
        for (rank, index, text), cosine in zip(raw, cosines, strict=True):
            overlap = len(terms & set(self.sparse.terms(text))) / len(terms) if terms else 0.0
            score = float(cosine) + LEXICAL_WEIGHT * overlap - 0.005 * rank
            out.append(Candidate(rank, index, text, score))
        return out

    def _with_antecedents(
        self, chosen: list[Candidate], passages: list[ScoredChunk]
    ) -> list[Candidate]:
        """A sentence starting with 'Dat'/'Dan'/'Daarin' needs the one before it to make sense
        (also when that one is a question: "Is het te zwaar? Dan kan ... helpen."). Without
        it, the sentence is dropped rather than quoted out of context."""
        taken = {(c.passage, c.index) for c in chosen}
        out: list[Candidate] = []
        for c in chosen:
            if not ANAPHOR.match(c.text):
                out.append(c)
                continue
            sentences = split_sentences(passages[c.passage].chunk.text)
            if (c.passage, c.index - 1) in taken:
                out.append(c)
            elif c.index > 0 and c.index - 1 < len(sentences):
                out += [Candidate(c.passage, c.index - 1, sentences[c.index - 1], c.score), c]
                taken.add((c.passage, c.index - 1))
        return out

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._sentence_vectors]
        if missing:
            for text, vector in zip(missing, self.embedder.embed_passages(missing), strict=True):
                self._sentence_vectors[text] = vector
            while len(self._sentence_vectors) > SENTENCE_CACHE:
                self._sentence_vectors.popitem(last=False)
        return np.stack([self._sentence_vectors[t] for t in texts])

    # -- composition ---------------------------------------------------------------------

    def compose(
        self, request: AnswerRequest, passages: list[ScoredChunk], chosen: list[Candidate]
    ) -> Answer:
        t = self.texts
        numbers: dict[int, int] = {}
        for c in chosen:
            numbers.setdefault(c.passage, len(numbers) + 1)
        paragraphs = [t["intro"]]
        citations: list[Citation] = []
        for rank, n in numbers.items():
            quoted = " ".join(c.text for c in chosen if c.passage == rank)
            paragraphs.append(f"{quoted} [{n}]")
            citations.append(chunk_citation(passages[rank].chunk, quoted))
        best_law = passages[min(numbers)].chunk.law.value
        helper = t["helpers"].get(best_law, t["helpers"]["wmo"])
        gemeente = request.municipality or t["your_gemeente"]
        paragraphs.append(t["closing"].format(helper=helper.format(gemeente=gemeente)))
        links = [t["read_more"]]
        for n, citation in enumerate(citations, start=1):
            heading = t["heading_separator"] + citation.heading if citation.heading else ""
            links.append(
                t["source_line"].format(
                    n=n, title=citation.title, heading=heading, url=citation.url
                )
            )
        paragraphs.append("\n".join(links))
        return Answer(
            route=Route.answer,
            strategy=Strategy.extractive,
            answer="\n\n".join(paragraphs),
            citations=citations,
            retrieved=passages,
        )


def split_sentences(text: str) -> list[str]:
    """Whole sentences of a passage, list markers and inline markup removed."""
    out = []
    for part in SENTENCE_END.split(text):
        clean = MARKUP.sub(lambda m: m.group(1) or "", LIST_MARK.sub("", part)).strip()
        clean = " ".join(clean.split())
        if clean:
            out.append(clean if clean[-1] in ".!?:;)" else clean + ".")
    return out
