"""Loaders: Markdown, HTML, PDF and text files; unreadable files become problems, not crashes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest.loaders import load_document

SIDECAR = """id: {id}
title: Folder over respijtzorg
law: wmo
sources: [https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies]
checked: 2026-11-20
review_by: 2099-01-01
read_more:
  title: Ondersteuning en advies
  url: https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies
"""
TODAY = date(2026, 11, 25)


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with one line of text (Helvetica), offsets computed exactly."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _sidecar(path: Path, doc_id: str) -> None:
    path.with_name(path.name + ".meta.yaml").write_text(SIDECAR.format(id=doc_id), "utf-8")


def test_html_page_keeps_headings_and_drops_navigation(tmp_path: Path) -> None:
    page = tmp_path / "pagina.html"
    page.write_text(
        "<html><head><title>x</title><script>alert('x')</script></head><body>"
        "<nav>Menu Home Contact</nav><main><h1>Respijtzorg</h1><p>Even vrij van de zorg.</p>"
        "<h2>Aanvragen</h2><ul><li>Bel de gemeente.</li></ul></main></body></html>",
        "utf-8",
    )
    _sidecar(page, "html-respijt")
    doc, problems = load_document(page, tmp_path, TODAY)
    assert doc is not None and not problems
    assert "# Respijtzorg" in doc.text and "## Aanvragen" in doc.text
    assert "- Bel de gemeente." in doc.text
    assert "alert" not in doc.text and "Menu" not in doc.text


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    pdf = tmp_path / "folder.pdf"
    pdf.write_bytes(minimal_pdf("Logeeropvang geeft je een paar dagen rust."))
    _sidecar(pdf, "pdf-logeer")
    doc, problems = load_document(pdf, tmp_path, TODAY)
    assert doc is not None, problems
    assert "Logeeropvang geeft je een paar dagen rust." in doc.text


def test_plain_text_with_sidecar(tmp_path: Path) -> None:
    txt = tmp_path / "notitie.txt"
    txt.write_text("Dagbesteding is er overdag.\n", "utf-8")
    _sidecar(txt, "txt-dagbesteding")
    doc, _ = load_document(txt, tmp_path, TODAY)
    assert doc is not None and doc.id == "txt-dagbesteding" and doc.law.value == "wmo"


def test_missing_sidecar_is_a_clear_problem(tmp_path: Path) -> None:
    txt = tmp_path / "los.txt"
    txt.write_text("tekst", "utf-8")
    doc, problems = load_document(txt, tmp_path, TODAY)
    assert doc is None
    assert str(problems[0]).startswith("los.txt:1: fout: metadata ontbreekt")


def test_broken_pdf_is_skipped_with_a_message(tmp_path: Path) -> None:
    pdf = tmp_path / "kapot.pdf"
    pdf.write_bytes(b"%PDF-1.4\nthis is not a pdf")
    _sidecar(pdf, "pdf-kapot")
    doc, problems = load_document(pdf, tmp_path, TODAY)
    assert doc is None and problems and "kapot.pdf:1" in str(problems[-1])


def test_binary_and_non_utf8_markdown(tmp_path: Path) -> None:
    binary = tmp_path / "plaatje.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    doc, problems = load_document(binary, tmp_path, TODAY)
    assert doc is None and "binair" in str(problems[0])
    latin = tmp_path / "latin.md"
    latin.write_bytes("---\nid: x\n---\nzorg\xe9".encode("latin-1"))
    doc, problems = load_document(latin, tmp_path, TODAY)
    assert doc is None and "UTF-8" in str(problems[0])


def test_front_matter_problems_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text(
        "---\nid: Fout_Id\ntitle: T\nlaw: wet\nsources: [geen-url]\nchecked: morgen\n"
        "review_by: 2020-01-01\n---\n# T\n\nTekst.\n",
        "utf-8",
    )
    doc, problems = load_document(path, tmp_path, TODAY)
    assert doc is None
    rendered = {str(p) for p in problems}
    assert any(r.startswith("doc.md:2:") and "id" in r for r in rendered)
    assert any(r.startswith("doc.md:4:") and "onbekende wet" in r for r in rendered)
    assert any(r.startswith("doc.md:5:") and "geen URL" in r for r in rendered)
    assert any(r.startswith("doc.md:6:") and "geen datum" in r for r in rendered)
    assert any(r.startswith("doc.md:7:") and "voorbij" in r for r in rendered)


def test_faq_answers_are_unwrapped_into_paragraphs() -> None:
    from ingest.cards import unwrap

    text = "Dit is een\nlange zin.\n\nTweede alinea\nhier.\n- punt een\n  vervolg\n- punt twee\n"
    assert unwrap(text) == (
        "Dit is een lange zin.\n\nTweede alinea hier.\n- punt een vervolg\n- punt twee"
    )
