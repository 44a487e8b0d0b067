"""HTML (an official page saved by a coordinator) to Markdown-like text with headings."""

from __future__ import annotations

from bs4 import BeautifulSoup

DROP = ("script", "style", "nav", "header", "footer", "form", "noscript", "aside", "iframe")
BLOCKS = ("h1", "h2", "h3", "h4", "p", "li", "td", "th", "dt", "dd", "blockquote")


def html_to_markdown(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    lines: list[str] = []
    for element in root.find_all(BLOCKS):
        if element.find(BLOCKS):  # a container of blocks: its children are visited themselves
            continue
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        if element.name in ("h1", "h2", "h3", "h4"):
            level = int(element.name[1])
            lines.append(f"\n{'#' * level} {text}\n")
        elif element.name == "li":
            lines.append(f"- {text}")
        else:
            lines.append(f"{text}\n")
    return "\n".join(lines).strip() + "\n"
