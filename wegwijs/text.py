"""Text utilities of the bottom layer, shared by the engines and the eval: the citation markers
a generated answer carries ("[1]", "[1, 2]", "[1][3]") and Markdown to plain text."""

from __future__ import annotations

import re

# One marker: up to three digits, more numbers after "," or ";".
MARKER_BODY = r"\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\]"
# One marker with its numbers in group 1.
CITATION_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
# A run of markers (with the space before each) as one group: `split` keeps them.
MARKER_RUN = re.compile(rf"((?:\s*{MARKER_BODY})+)")
MARKER_NUMBER = re.compile(r"\d{1,3}")


def marker_numbers(markers: str) -> list[int]:
    """Every citation number in a run of markers, in order ("[1, 2][3]" -> [1, 2, 3])."""
    return [int(n) for m in CITATION_MARKER.finditer(markers) for n in MARKER_NUMBER.findall(m[1])]


# -- Markdown to plain text ----------------------------------------------------------------

_HEADING = re.compile(r"^#+\s(.*)$", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LIST_MARK = re.compile(r"^\s*(?:-|\d+\.)\s+", re.MULTILINE)  # "* " goes with the marks below
_MARKS = re.compile(r"[*_`>|]")


def strip_markdown(markdown: str, *, headings: bool = True, list_marks: bool = False) -> str:
    """The running text of Markdown: links become their text; emphasis, code, quote and table
    marks go. `headings`: keep a heading's text (False drops heading lines: not running text);
    `list_marks`: keep "- " and "1. " at line starts (sentence splitters end an item there)."""
    text = _HEADING.sub(lambda m: m[1] if headings else "", markdown)
    text = _LINK.sub(lambda m: m[1], text)
    if not list_marks:
        text = _LIST_MARK.sub("", text)
    return _MARKS.sub("", text)
