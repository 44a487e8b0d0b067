"""wegwijs.text: the one citation-marker syntax and the one Markdown stripper."""

from __future__ import annotations

import assistant.citations
from eval.scorers import cited_claims, normalise
from wegwijs.readability import plain_text
from wegwijs.text import CITATION_MARKER, MARKER_RUN, marker_numbers, strip_markdown

MD = (
    "# Wie betaalt?\n\nDe **zorgverzekeraar** betaalt, zie [Zvw](https://x.nl/a_b).\n"
    "- Bel de `huisarts`.\n1. Of de _thuiszorg_.\n> Let op | tabel\n"
)


def test_one_marker_syntax_for_the_check_and_the_scorer() -> None:
    assert assistant.citations.MARKER is CITATION_MARKER
    assert marker_numbers("[1, 2][3] [4;5]") == [1, 2, 3, 4, 5]
    assert marker_numbers("[1000] [x]") == []
    assert MARKER_RUN.split("Zin een. [1][2] Zin twee.") == ["Zin een.", " [1][2]", " Zin twee."]
    claims = cited_claims("Zin een. [1, 2] Zin twee.")
    assert claims == [("Zin een.", [1, 2]), ("Zin twee.", [])]


def test_one_markdown_stripper_keeps_or_drops_headings_and_list_marks() -> None:
    assert strip_markdown(MD) == (
        "Wie betaalt?\n\nDe zorgverzekeraar betaalt, zie Zvw.\nBel de huisarts.\n"
        "Of de thuiszorg.\n Let op  tabel\n"
    )
    assert strip_markdown(MD, headings=False, list_marks=True) == (
        "\n\nDe zorgverzekeraar betaalt, zie Zvw.\n- Bel de huisarts.\n"
        "1. Of de thuiszorg.\n Let op  tabel\n"
    )
    # readability measures running text (no headings; list items stay items), the eval
    # compares text with markup and case ignored
    assert plain_text(MD) == strip_markdown(MD, headings=False, list_marks=True)
    assert normalise(MD) == (
        "wie betaalt? de zorgverzekeraar betaalt, zie zvw. bel de huisarts. of de thuiszorg. "
        "let op tabel"
    )
