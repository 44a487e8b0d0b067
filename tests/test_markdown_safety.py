"""Markdown injection (issue 12, finding 4): what a FAQ answer, a provider listing or a source URL
may make every visitor's browser do. Images are dropped, links survive only to https hosts on the
allowlist, provider fields are escaped, and source URLs are checked with one strict pattern."""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from assistant.base import AnswerRequest
from assistant.providers import ProviderDirectory
from assistant.strategies.local import LocalProvidersStrategy
from assistant.strategies.no_answer import load_texts
from eval.report import failing_case
from ingest.cards import load_card_file
from ingest.corpus import load_corpus
from ingest.providers import parse_providers_csv
from tests.conftest import FIXED_CORPUS, build_container
from tests.embedding_cache import CachedEmbedder
from ui.coordinator.faq_files import FaqForm, save_form
from ui.render import link_allowlist, render_answer
from wegwijs.config import Settings, UiSettings
from wegwijs.domain import Answer, Citation, Provider, Route, Strategy
from wegwijs.links import LinkAllowlist, is_source_url
from wegwijs.safe_markdown import escape_markdown, safe_markdown

PAYLOAD = "https://x.nl/a)![p](https://evil.example/p.png)"
EVIL_FAQ = "Lees ook dit. ![x](https://evil.example/p.png) En [klik](https://evil.example) hier."
ALLOWED = LinkAllowlist(["www.regelhulp.nl", "wetten.overheid.nl", "www.rijksoverheid.nl"])
# What a GFM renderer links by itself in plain text: URL and www. literals, e-mail addresses.
URL_LITERAL = re.compile(r"(?:^|(?<=[\s*_~(]))(?:https?://|www\.)[^\s<]*[a-z0-9]", re.I)
EMAIL = re.compile(r"[\w.+-]@[\w-]+\.[\w]", re.I)
PARSER = MarkdownIt("commonmark").enable("strikethrough")


def html_of(markdown: str) -> str:
    return PARSER.render(markdown)


def assert_nothing_reaches_out(markdown: str) -> None:
    """No image, no link to a host outside the allowlist, and no bare URL or address left in
    plain text that a GFM renderer (Chainlit's widget) would turn into a link."""
    html = html_of(markdown)
    assert "<img" not in html, markdown
    for href in _hrefs(html):
        assert ALLOWED.allows(href), (href, markdown)
    text = re.sub(r"<code>.*?</code>|<a [^>]*>.*?</a>", " ", html, flags=re.DOTALL)
    text = unescape(re.sub(r"<[^>]+>", " ", text))
    for literal in URL_LITERAL.findall(text):  # the widget would link it: allowed hosts only
        url = literal if literal.lower().startswith("http") else "https://" + literal
        assert ALLOWED.allows(url), (literal, markdown)
    assert not EMAIL.search(text), (text, markdown)


def _hrefs(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('href="')[1:]]


# --- source URLs: one strict pattern everywhere they are validated ----------------------------


@pytest.mark.parametrize(
    "url",
    [
        PAYLOAD,
        "http://www.regelhulp.nl/pgb",
        "javascript:alert(1)",
        "https://www.regelhulp.nl/a b",
        "https://www.regelhulp.nl/<script>",
        "https://www.regelhulp.nl/[x]",
        "https://evil.example\\@www.regelhulp.nl/",
        "https://",
        "",
    ],
)
def test_bad_source_urls_are_refused(url: str) -> None:
    assert not is_source_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.regelhulp.nl/onderwerpen/pgb",
        "https://wetten.overheid.nl/jci1.3:c:BWBR0035362&artikel=2.3.2",
        "https://www.rijksoverheid.nl/a?b=c#d",
    ],
)
def test_good_source_urls_pass(url: str) -> None:
    assert is_source_url(url)


def test_faq_form_refuses_the_bracket_payload_as_source_and_read_more(tmp_path: Path) -> None:
    form = FaqForm(
        id="faq-test",
        question="Waar vraag ik hulp aan?",
        variants=["Hulp aanvragen", "Wie helpt mij?", "Waar moet ik zijn?"],
        answer="Bij je gemeente. Je doet een melding bij het Wmo-loket van je gemeente.",
        law="wmo",
        sources=[PAYLOAD],
        owner="consulent",
        review_by="2030-01-01",
        read_more_title="Lees meer",
        read_more_url=PAYLOAD,
    )
    problems = save_form(tmp_path, form, date(2026, 11, 1), new=True)
    messages = [p.message for p in problems if p.severity == "error"]
    assert any("bron is geen URL" in m for m in messages), messages
    assert any("read_more: geen URL" in m for m in messages), messages
    assert not (tmp_path / "faq" / "faq-test.yaml").exists()


def test_card_file_with_http_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "faq" / "faq-x.yaml"
    path.parent.mkdir()
    source = (FIXED_CORPUS / "faq" / "faq-huishoudelijke-hulp.yaml").read_text("utf-8")
    path.write_text(source.replace("https://wetten", "http://wetten", 1), "utf-8")
    card, problems = load_card_file(path, tmp_path, date(2026, 11, 1))
    assert card is None and any("bron is geen URL" in p.message for p in problems)


def test_provider_csv_refuses_the_payload_url() -> None:
    header = "name,services,municipalities,postcode_ranges,phone,url,example,description\n"
    row = f'Dagbesteding X,dagbesteding,Breda,,,"{PAYLOAD}",false,Een plek overdag.\n'
    providers, problems = parse_providers_csv(header + row, "providers/x.csv")
    assert providers == []
    assert [p.severity for p in problems] == ["error"]


def test_shipped_corpus_sources_all_pass_the_pattern() -> None:
    corpus = load_corpus(Path(__file__).resolve().parent.parent / "corpus")
    bad = [url for url in corpus.source_urls() if not is_source_url(url)]
    assert bad == []
    assert not [p for p in corpus.problems if "geen URL" in p.message]


# --- the sanitiser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        EVIL_FAQ,
        f"Zie {PAYLOAD} voor meer.",
        "![p](https://www.regelhulp.nl/p.png)",  # an image, even from an allowed host
        "[klik][r]\n\n[r]: https://evil.example/p.png",
        "![x][r]\n\n[r]: https://evil.example/p.png",
        "<img src='https://evil.example/p.png'>",
        "Kijk op https://evil.example/p.png of www.evil.example.",
        "Mail naar iemand@evil.example.",
        "[x](javascript:alert(1))",
        "<https://evil.example/p.png>",
        "[https://evil.example](https://www.regelhulp.nl/pgb)",
        "[a](https://www.regelhulp.nl@evil.example/)",
        "&#104;ttps://evil.example/p.png",
        "https\\://evil.example/p.png",
        "- punt\n- [klik](https://evil.example)\n\n> ![p](https://evil.example/p.png)",
        "**vet [klik](https://evil.example) vet**",
        "Kijk!www.regelhulp.nl/p.png",  # '!' + a link made from a bare URL was an image
        "Kijk![klik](https://www.regelhulp.nl/p.png)",
    ],
)
def test_sanitiser_drops_images_and_foreign_links(text: str) -> None:
    assert_nothing_reaches_out(safe_markdown(text, ALLOWED))


PIECES = [
    *"ab \n*_[]()!<>`#-+=1.)~|&\\:/@\t",
    *("https://", "www.", "evil.example", "www.regelhulp.nl", "![", "](", "> ", "1. ", "- "),
    *("&#104;", "    ", "[r]: ", "<img src=", "javascript:"),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join) | st.text(max_size=80))
def test_sanitiser_on_random_markdown(text: str) -> None:
    assert_nothing_reaches_out(safe_markdown(text, ALLOWED))


def test_sanitiser_keeps_readable_text_and_allowed_links() -> None:
    text = (
        "# Kop\n\nJe doet een **melding** bij het *Wmo-loket*.\n\n"
        "- eerst bellen\n- dan een `gesprek`\n\n"
        "1. Lees [de uitleg](https://www.regelhulp.nl/onderwerpen/pgb).\n"
        "2. Kijk op https://www.rijksoverheid.nl/mantelzorg.\n\n"
        "> Een citaat.\n\nZie ![plaatje](https://www.regelhulp.nl/p.png) en "
        "[klik](https://evil.example) hier."
    )
    safe = safe_markdown(text, ALLOWED)
    html = html_of(safe)
    for part in (
        "<h1>Kop</h1>",
        "<strong>melding</strong>",
        "<em>Wmo-loket</em>",
        "<li>eerst bellen</li>",
        "<code>gesprek</code>",
        '<a href="https://www.regelhulp.nl/onderwerpen/pgb">de uitleg</a>',
        "https://www.rijksoverheid.nl/mantelzorg",
        "<blockquote>",
        "klik hier",
    ):
        assert part in html, (part, safe)
    assert _hrefs(html) == [
        "https://www.regelhulp.nl/onderwerpen/pgb",
        "https://www.rijksoverheid.nl/mantelzorg",
    ]
    assert "<img" not in html and "evil" not in html


def test_sanitised_text_is_stable() -> None:
    once = safe_markdown(EVIL_FAQ + "\n\n- a *b* `c`", ALLOWED)
    assert safe_markdown(once, ALLOWED) == once


def test_escaped_provider_field_shows_literally() -> None:
    name = "De Linde **gratis** [klik](https://evil.example) ![p](https://evil.example/p.png)"
    html = html_of(f"- {escape_markdown(name)}")
    assert "<img" not in html and "<a " not in html and "<strong>" not in html
    assert "**gratis**" in html and "[klik]" in html


# --- the real paths: a FAQ answer and a provider listing as the widget gets them --------------


def test_faq_answer_with_image_and_link_through_the_render_path(
    embedder: CachedEmbedder, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXED_CORPUS, corpus)
    faq = corpus / "faq" / "faq-huishoudelijke-hulp.yaml"
    text = faq.read_text("utf-8")
    faq.write_text(text.replace("answer: |\n", f"answer: |\n  {EVIL_FAQ}\n", 1), "utf-8")
    container = build_container(embedder, tmp_path / "data", corpus)
    container.ingest_pipeline.run(container.corpus)
    result = asyncio.run(container.chat.handle("Hoe krijg ik hulp bij het huishouden?"))
    assert result.answer.strategy is Strategy.faq and "klik" in result.answer.answer
    links = link_allowlist(container.settings, container.corpus)
    shown, _ = render_answer(result.answer, links)
    html = html_of(shown)
    assert "<img" not in html and "evil.example" not in html
    assert "klik hier" in html  # the words stay, the link goes
    assert _hrefs(html), "the card's own sources are still links"
    assert all(links.allows(href) for href in _hrefs(html))
    container.close()


def test_provider_listing_escapes_fields_and_renders_no_image() -> None:
    provider = Provider(
        name="Zorg ![p](https://evil.example/p.png) [klik](https://evil.example)",
        services=("dagbesteding",),
        municipalities=("Breda",),
        postcode_ranges=(),
        phone="",
        url="https://voorbeeld.example/breda",
        example=False,
        description="**Gratis!** <img src=x>",
    )
    directory = ProviderDirectory([provider], {"4811": "Breda"})
    strategy = LocalProvidersStrategy(directory, load_texts())
    request = AnswerRequest(question="Welke dagbesteding is er in Breda?")
    answer = asyncio.run(strategy.answer(request, []))
    assert answer is not None
    shown, _ = render_answer(answer, LinkAllowlist(["voorbeeld.example"]))
    html = html_of(shown)
    assert "<img" not in html and "evil.example" not in _hrefs(html)
    assert "<strong>Gratis!</strong>" not in html and "**Gratis!**" in html
    assert _hrefs(html) == ["https://voorbeeld.example/breda"] * 2  # the line and its source


def test_citation_with_a_bad_url_is_shown_without_a_link() -> None:
    answer = Answer(
        route=Route.answer,
        strategy=Strategy.extractive,
        answer="Kijk bij deze aanbieder.",
        citations=[Citation("provider:x", "X", "javascript:alert(1)", "algemeen", "", "")],
    )
    shown, _ = render_answer(answer, ALLOWED)
    assert "javascript" not in html_of(shown) and "href" not in html_of(shown)


def test_allowlist_comes_from_settings_and_the_corpus_sources() -> None:
    settings = Settings(ui=UiSettings(link_hosts=["www.thuisarts.nl"]))
    links = link_allowlist(settings, load_corpus(FIXED_CORPUS))
    assert links.allows("https://www.thuisarts.nl/x")
    assert links.allows("https://www.regelhulp.nl/mantelzorgers")  # a read_more in the corpus
    assert links.allows("https://voorbeeld.example/breda/x")  # a provider's site
    assert not links.allows("http://www.thuisarts.nl/x")
    assert not links.allows("https://evil.example/")
    assert not links.allows("https://www.thuisarts.nl.evil.example/")


# --- the eval report --------------------------------------------------------------------------


def test_eval_report_never_links_a_javascript_url() -> None:
    row = {
        "id": "c-1",
        "question": "q",
        "route": "answer",
        "strategy": "extractive",
        "answer": "a",
        "failures": ["x"],
        "citations": [
            {"id": "provider:x", "title": "X", "law": "algemeen", "url": "javascript:alert(1)"},
            {"id": "ok", "title": "Ok", "law": "wmo", "url": "https://www.regelhulp.nl/pgb"},
        ],
    }
    html = failing_case(row)
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html  # shown as text, for the evaluator
    assert 'href="https://www.regelhulp.nl/pgb"' in html


# --- the widget page (finding 5): nothing from Google Fonts or a CDN --------------------------


def test_widget_page_links_nothing_outside_the_server() -> None:
    import chainlit.server

    from ui.widget_page import install

    original = chainlit.server.get_html_template
    try:
        install()
        page = chainlit.server.get_html_template("")
    finally:
        chainlit.server.get_html_template = original
    chainlit_page = getattr(original, "wegwijs_original", original)  # another test installed it
    assert "fonts.googleapis.com" in chainlit_page("")  # what Chainlit 2.12 ships
    urls = re.findall(r"<(?:link|script)\b[^>]*\b(?:href|src)=[\"']?([^\"' >]+)", page)
    assert urls and all(not re.match(r"(?:https?:)?//", url) for url in urls), urls
    assert "default-src 'self'" in page and "img-src 'self' data: blob:" in page
