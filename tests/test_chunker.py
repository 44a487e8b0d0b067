"""Chunking keeps the heading path and never cuts a sentence."""

from __future__ import annotations

from ingest.chunker import chunk_document, embedding_text
from wegwijs.domain import Law, SourceDocument


def _doc(text: str) -> SourceDocument:
    return SourceDocument(
        id="d", title="Titel", law=Law.wmo, sources=("https://x.nl",), path="d.md", text=text
    )


def test_heading_path_is_kept() -> None:
    chunks = chunk_document(
        _doc("# Titel\n\nIntro zin.\n\n## Deel A\n\nTekst A.\n\n### Sub\n\nTekst sub.\n")
    )
    paths = [c.heading_path for c in chunks]
    assert paths == [(), ("Deel A",), ("Deel A", "Sub")]
    assert embedding_text(chunks[2]).startswith("Titel > Deel A > Sub\n")


def test_long_section_is_split_between_sentences_only() -> None:
    sentences = [f"Dit is zin nummer {i} over de gemeente en hulp." for i in range(120)]
    chunks = chunk_document(_doc("# Titel\n\n## Lang\n\n" + " ".join(sentences)), max_words=100)
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk.text.split()) <= 100
        assert chunk.text.endswith("hulp.")
        assert chunk.text.startswith("Dit is zin nummer")
    rejoined = " ".join(c.text for c in chunks)
    assert rejoined == " ".join(sentences)


def test_chunk_ids_are_stable() -> None:
    a = chunk_document(_doc("# Titel\n\n## A\n\nTekst.\n"))
    b = chunk_document(_doc("# Titel\n\n## A\n\nTekst.\n"))
    assert [c.id for c in a] == [c.id for c in b]
