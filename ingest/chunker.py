"""Structure-aware chunking: split on headings, keep the heading path, never cut a sentence.

Sizes are in words: Dutch averages ~1.6 e5 (XLM-R) tokens per word, so 250 words stays well
inside e5-small's 512-token window together with the title and heading path.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from wegwijs.domain import Chunk, SourceDocument
from wegwijs.readability import sentences

HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
NAMESPACE = uuid.UUID("6f1c3c1e-8a43-4c4e-9a53-77e3b0c0a5d1")


@dataclass(frozen=True)
class Section:
    heading_path: tuple[str, ...]
    paragraphs: tuple[str, ...]


def sections(markdown: str) -> list[Section]:
    path: list[tuple[int, str]] = []
    out: list[Section] = []
    buffer: list[str] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            buffer.append(" ".join(paragraph) if not _is_list(paragraph) else "\n".join(paragraph))
            paragraph.clear()

    def end_section() -> None:
        end_paragraph()
        if buffer:
            out.append(Section(tuple(title for _, title in path), tuple(buffer)))
            buffer.clear()

    for raw_line in markdown.splitlines():
        line = raw_line.rstrip()
        match = HEADING.match(line)
        if match:
            end_section()
            level = len(match.group(1))
            path = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, match.group(2)))
        elif not line.strip():
            end_paragraph()
        else:
            paragraph.append(line.strip())
    end_section()
    return out


def _is_list(lines: list[str]) -> bool:
    return all(re.match(r"^([-*]|\d+\.)\s", line) for line in lines)


def _words(text: str) -> int:
    return len(text.split())


def _pieces(paragraph: str, max_words: int) -> list[str]:
    """A paragraph that is too long is cut between sentences, never inside one."""
    if _words(paragraph) <= max_words:
        return [paragraph]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in sentences(paragraph):
        if current and _words(" ".join([*current, sentence])) > max_words:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


def chunk_document(doc: SourceDocument, max_words: int = 250, min_words: int = 40) -> list[Chunk]:
    texts: list[tuple[tuple[str, ...], str]] = []
    for section in sections(doc.text):
        heading = (
            section.heading_path[1:]
            if section.heading_path[:1] == (doc.title,)
            else (section.heading_path)
        )
        current: list[str] = []
        for paragraph in section.paragraphs:
            for piece in _pieces(paragraph, max_words):
                if current and _words("\n\n".join([*current, piece])) > max_words:
                    texts.append((heading, "\n\n".join(current)))
                    current = []
                current.append(piece)
        if current:
            # A short tail joins the previous chunk of the same section when it fits.
            tail = "\n\n".join(current)
            if (
                texts
                and texts[-1][0] == heading
                and _words(tail) < min_words
                and _words(texts[-1][1]) + _words(tail) <= max_words
            ):
                texts[-1] = (heading, texts[-1][1] + "\n\n" + tail)
            else:
                texts.append((heading, tail))
    return [
        Chunk(
            id=str(uuid.uuid5(NAMESPACE, f"{doc.id}:{position}")),
            doc_id=doc.id,
            title=doc.title,
            law=doc.law,
            sources=doc.sources,
            heading_path=heading,
            text=text,
            municipalities=doc.municipalities,
            kind=doc.kind,
            doc_hash=doc.content_hash,
            position=position,
            path=doc.path,
            read_more=doc.read_more.url if doc.read_more else "",
            legal=tuple(item.label for item in doc.legal),
        )
        for position, (heading, text) in enumerate(texts)
    ]


def embedding_text(chunk: Chunk) -> str:
    """What the dense and sparse encoders see: title and heading path give the passage context."""
    context = " > ".join((chunk.title, *chunk.heading_path))
    return f"{context}\n{chunk.text}"
