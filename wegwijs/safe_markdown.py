"""Markdown that is safe to show every visitor of the widget.

The widget renders Markdown (CommonMark + GFM) in the visitor's browser, so an image in a FAQ
answer, a provider name or a generated answer is fetched from whoever hosts it, and a link can
point anywhere. `safe_markdown` parses the text with markdown-it-py (CommonMark) and writes it
out again, keeping headings, paragraphs, lists, quotes, code, bold, italic and strikethrough:

- images are dropped, always (the tracking-pixel case);
- a link survives only when its URL is `https://` on a host in the allowlist; otherwise only
  its words stay;
- bare URLs, `www.` names and e-mail addresses (which GFM would turn into links) become a link
  when allowed, else inline code, which no renderer turns into a link;
- every other character that could start Markdown syntax is escaped, so what comes out means
  exactly what the parser saw, whatever the browser's parser makes of edge cases.

`escape_markdown` makes a field (a provider's name, description) show literally.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from wegwijs.links import LinkAllowlist

_PARSER = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
_SPECIAL = re.compile(r"([\\`*_\[\]<>~|&])")
_LINE_START = re.compile(r"^(?:([#+=-])|(\d+)([.)]))", re.MULTILINE)
# What a GFM renderer links by itself: http(s) and www. literals, e-mail addresses.
_LINKABLE = re.compile(
    r"(?:https?://|www\.)[^\s<]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE | re.UNICODE
)
_EMPTY_LINES = re.compile(r"\n[ \t]*(?=\n|$)")
_TRAILING = "?!.,:;*_~'\""


def safe_markdown(text: str, links: LinkAllowlist) -> str:
    root = SyntaxTreeNode(_PARSER.parse(text))
    return _blocks(root.children, links, tight=False)


def escape_markdown(text: str) -> str:
    """A one-line field shown literally: whitespace (newlines too) collapsed, syntax escaped."""
    return _line_starts(_escape(" ".join(text.split())))


def _escape(text: str) -> str:
    """Escape what could start syntax; a '!' at the end too, or a link after it is an image."""
    escaped = _SPECIAL.sub(r"\\\1", text)
    return escaped[:-1] + "\\!" if escaped.endswith("!") else escaped


def _line_starts(text: str) -> str:
    """A line that starts with '#', '-', '+', '=' or '1.' would become a heading or a list."""
    return _LINE_START.sub(
        lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}",
        text,
    )


def _blocks(nodes: Sequence[SyntaxTreeNode], links: LinkAllowlist, tight: bool) -> str:
    parts = [_block(node, links) for node in nodes]
    return ("\n" if tight else "\n\n").join(part for part in parts if part)


def _block(node: SyntaxTreeNode, links: LinkAllowlist) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline_of(node, links)
    if kind == "heading":  # a setext heading may span lines, an ATX heading cannot
        return "#" * int(node.tag[1]) + " " + _inline_of(node, links).replace("\n", " ")
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, links)
    if kind == "blockquote":
        inner = _blocks(node.children, links, tight=False)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if kind == "hr":
        return "***"
    if kind in ("fence", "code_block"):
        content = node.content if node.content.endswith("\n") else node.content + "\n"
        fence = "`" * max(3, _longest_run(content, "`") + 1)
        return f"{fence}\n{content}{fence}"
    return _line_starts(_escape(node.content))  # anything else: its text, literally


def _list(node: SyntaxTreeNode, links: LinkAllowlist) -> str:
    tight = all(
        child.hidden
        for item in node.children
        for child in item.children
        if child.type == "paragraph"
    )
    start = int(str(node.attrs.get("start", 1))) if node.type == "ordered_list" else 0
    items = []
    for number, item in enumerate(node.children, start=start):
        if node.type == "ordered_list":
            marker = f"{number}{node.markup or '.'} "
        else:
            marker = f"{node.markup or '-'} "
        body = _blocks(item.children, links, tight=tight)
        pad = " " * len(marker)
        lines = body.split("\n")
        items.append(marker + "\n".join([lines[0], *(pad + ln if ln else ln for ln in lines[1:])]))
    return ("\n" if tight else "\n\n").join(items)


def _inline_of(node: SyntaxTreeNode, links: LinkAllowlist) -> str:
    inline = node.children[0] if node.children else None
    if inline is None:
        return ""
    text = _inline(inline.children, links, in_link=False)
    text = _EMPTY_LINES.sub("", text).strip("\n")  # a line that held only an image
    return _line_starts(text)


def _inline(nodes: Sequence[SyntaxTreeNode], links: LinkAllowlist, in_link: bool) -> str:
    out: list[str] = []
    pending: list[str] = []  # neighbouring text nodes are one text for the URL search
    for node in nodes:
        if node.type in ("text", "text_special"):
            pending.append(node.content)
            continue
        if pending:
            out.append(_text("".join(pending), links, in_link))
            pending = []
        out.append(_inline_node(node, links, in_link))
    if pending:
        out.append(_text("".join(pending), links, in_link))
    joined = ""
    for piece in out:  # two code spans side by side would read as one longer fence
        joined += " " + piece if joined.endswith("`") and piece.startswith("`") else piece
    return joined


def _inline_node(node: SyntaxTreeNode, links: LinkAllowlist, in_link: bool) -> str:
    kind = node.type
    if kind == "softbreak":
        return "\n"
    if kind == "hardbreak":
        return "\\\n"
    if kind == "code_inline":
        return _code(node.content)
    if kind in ("strong", "em", "s"):
        mark = {"strong": "**", "em": "*", "s": "~~"}[kind]
        inner = _inline(node.children, links, in_link)
        return f"{mark}{inner}{mark}" if inner.strip() else inner
    if kind == "image":
        return ""
    if kind == "link":
        return _link(node, links)
    return _escape(node.content)


def _link(node: SyntaxTreeNode, links: LinkAllowlist) -> str:
    href = str(node.attrs.get("href", ""))
    if node.markup == "autolink":
        return f"<{href}>" if links.allows(href) else _code(href)
    if not links.allows(href):
        return _inline(node.children, links, in_link=False)  # its words, as plain text
    words = _inline(node.children, links, in_link=True)
    return f"[{words if words.strip() else _escape(href)}]({href})"


def _text(text: str, links: LinkAllowlist, in_link: bool) -> str:
    out: list[str] = []
    last = 0
    for match in _LINKABLE.finditer(text):
        found = _trim(match.group(0))
        if not found or found.lower() in ("www.", "http://", "https://"):
            continue
        out.append(_escape(text[last : match.start()]))
        url = _PARSER.normalizeLink("https://" + found if found[:4].lower() == "www." else found)
        if "@" in found or not links.allows(url):
            out.append(_code(found))
        elif in_link:  # in a link's words GFM makes no second link
            out.append(_escape(found))
        else:
            out.append(f"[{_escape(found)}]({url})")
        last = match.start() + len(found)
    out.append(_escape(text[last:]))
    return "".join(out)


def _trim(found: str) -> str:
    """GFM leaves trailing punctuation and an unbalanced ')' out of a literal link."""
    while found and (
        found[-1] in _TRAILING or (found[-1] == ")" and found.count(")") > found.count("("))
    ):
        found = found[:-1]
    return found


def _code(text: str) -> str:
    fence = "`" * (_longest_run(text, "`") + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.startswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)
