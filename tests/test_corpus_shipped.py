"""The shipped starter corpus meets the bar of the starter-corpus issue, checked by the same
code coordinators run (`wegwijs corpus check`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.check import check_corpus
from ingest.corpus import Corpus, load_corpus
from wegwijs.config import PROJECT_ROOT
from wegwijs.contacts import load_contacts
from wegwijs.domain import SERVICE_TYPES, Law

CORPUS = PROJECT_ROOT / "corpus"
PILOT_TOWNS = ("Breda", "Tilburg", "Oosterhout", "Roosendaal", "Etten-Leur")
# The only phone numbers the corpus may state (../shared/facts/contacts-and-sources.md).
VERIFIED_NUMBERS = {"112", "113", "0800-0113", "0800-2000", "088-0767 000", "0800-5088"}
PHONE_LIKE = re.compile(r"(?<![\d-])0\d{1,3}[- ]?\d{3,4}[ ]?\d{0,4}(?![\d])")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(CORPUS)


def test_corpus_check_passes_from_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wegwijs.cli", "corpus", "check", "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert '"ok": true' in result.stdout


def test_size_and_coverage(corpus: Corpus) -> None:
    report = check_corpus(corpus)
    assert report.errors == 0, [str(p) for p in report.problems]
    assert len(corpus.documents) >= 45
    assert {d.law for d in corpus.documents} == set(Law)
    assert len(corpus.faq) >= 20
    for entry in corpus.faq:
        assert len(entry.variants) >= 3, entry.id
        assert len(entry.answer.split()) <= 130, entry.id


def test_plain_language(corpus: Corpus) -> None:
    readability = check_corpus(corpus).readability
    assert readability and all(r.avg_sentence_words <= 15 for r in readability.values())
    assert all(r.flesch_douma >= 50 for r in readability.values())


def test_every_document_has_sources_and_dates(corpus: Corpus) -> None:
    for doc in corpus.documents:
        assert doc.sources and doc.checked and doc.review_by, doc.id
        assert all(s.startswith("https://") for s in doc.sources), doc.id


def test_glossary_has_forty_terms_and_separates_zin(corpus: Corpus) -> None:
    [glossary] = [d for d in corpus.documents if "begrippenlijst" in d.id]
    terms = re.findall(r"^\*\*(.+?)\*\*", glossary.text, re.MULTILINE)
    assert len(terms) >= 40
    lowered = glossary.text.lower()
    assert "zorg in natura" in lowered and "zorginstituut nederland" in lowered


def test_providers_cover_every_service_in_the_five_towns(corpus: Corpus) -> None:
    for town in PILOT_TOWNS:
        offered = {s for p in corpus.providers if town in p.municipalities for s in p.services}
        assert offered == set(SERVICE_TYPES), (town, set(SERVICE_TYPES) - offered)
    assert all(p.example and not p.phone for p in corpus.providers)
    assert {corpus.pc4[pc] for pc in ("4811", "5038", "4901", "4701", "4871")} == set(PILOT_TOWNS)


def test_contacts_match_the_verified_facts() -> None:
    contacts = {c.id: c for c in load_contacts(CORPUS / "contacts.yaml")}
    numbers = {p for c in contacts.values() for p in c.phones}
    assert numbers == VERIFIED_NUMBERS
    by_number = {p: c for c in contacts.values() for p in c.phones}
    assert "suicide" in by_number["113"].situations and "0800-0113" in by_number["113"].phones
    assert "violence" in by_number["0800-2000"].situations
    assert "emergency" in by_number["112"].situations
    assert not by_number["0800-5088"].available_24_7  # the DementieLijn is not a night line


def test_no_unverified_phone_numbers_in_documents(corpus: Corpus) -> None:
    for doc in corpus.documents:
        for number in PHONE_LIKE.findall(doc.text):
            assert number.strip() in VERIFIED_NUMBERS, (doc.id, number)


def test_no_unverified_phone_numbers_in_faq(corpus: Corpus) -> None:
    for entry in corpus.faq:
        for number in PHONE_LIKE.findall(entry.answer):
            assert number.strip() in VERIFIED_NUMBERS, (entry.id, number)


def test_shipped_files_are_all_used(corpus: Corpus) -> None:
    docs = list((CORPUS / "docs").rglob("*.md"))
    assert len(docs) == len(corpus.documents)
    assert not corpus.failed_paths
    assert Path(CORPUS / "README.md").exists()
