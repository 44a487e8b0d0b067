"""PDF leaflets to plain text, page by page."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_to_text(raw: bytes) -> str:
    reader = PdfReader(io.BytesIO(raw))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    return "\n\n".join(p for p in pages if p)
