"""The whole corpus as loaded from disk: documents, FAQ, providers, postcodes, contacts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ingest.faq import load_faq
from ingest.loaders import discover, load_document
from ingest.problems import Problem, error
from ingest.providers import load_pc4_table, load_providers
from wegwijs.domain import FaqEntry, Provider, SourceDocument


@dataclass
class Corpus:
    root: Path
    documents: list[SourceDocument] = field(default_factory=list)
    faq: list[FaqEntry] = field(default_factory=list)
    providers: list[Provider] = field(default_factory=list)
    pc4: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    failed_paths: set[str] = field(default_factory=set)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def load_corpus(root: Path, today: date | None = None) -> Corpus:
    today = today or date.today()
    corpus = Corpus(root=root)
    seen: dict[str, str] = {}
    for path in discover(root / "docs"):
        doc, problems = load_document(path, root, today)
        corpus.problems.extend(problems)
        if doc is None:
            corpus.failed_paths.add(str(path.relative_to(root)))
            continue
        if doc.id in seen:
            corpus.problems.append(error(doc.path, 2, f"id '{doc.id}' staat ook in {seen[doc.id]}"))
            corpus.failed_paths.add(doc.path)
            continue
        seen[doc.id] = doc.path
        corpus.documents.append(doc)
    faq, problems = load_faq(root / "faq", root, today)
    corpus.problems.extend(problems)
    failed_faq = {p.path for p in problems if p.severity == "error"}
    corpus.failed_paths |= failed_faq
    for entry in faq:
        if entry.id in seen:
            corpus.problems.append(
                error(entry.path, 1, f"id '{entry.id}' staat ook in {seen[entry.id]}")
            )
            corpus.failed_paths.add(entry.path)
            continue
        seen[entry.id] = entry.path
        corpus.faq.append(entry)
    corpus.providers, problems = load_providers(root / "providers", root)
    corpus.problems.extend(problems)
    corpus.pc4, problems = load_pc4_table(root / "postcodes" / "pc4_gemeente.csv", root)
    corpus.problems.extend(problems)
    return corpus


def faq_hash(entry: FaqEntry) -> str:
    text = "\n".join((entry.question, *entry.variants, entry.answer, entry.law.value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
