"""End-to-end tests in headless Chromium against `wegwijs serve` started on loopback.

The app runs with a temporary data dir and a temporary copy of the corpus (FAQ edits do not
touch the repository). Screenshots go to test-artifacts/ (git-ignored).

Every browser context blocks and records any request that would leave loopback (issue 12:
no visitor's browser may talk to Google Fonts, a CDN or an image host in an answer).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser
from playwright import sync_api as playwright_api  # noqa: E402 - a dev dependency, never skipped

Page = playwright_api.Page
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "var" / "models" / "multilingual-e5-small"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER, PASSWORD = "coordinator-test", "een-lang-wachtwoord"
FAQ_ID = "faq-aftrek-zorgkosten"
FAQ_QUESTION = "Kan ik zorgkosten aftrekken bij de belasting?"
MESSAGES_PER_MINUTE = 30  # well above what the browser tests send; the flood test goes over it
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class Server:
    url: str
    corpus: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 600  # a fresh clone ingests the whole corpus first (~2-3 min)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"wegwijs serve stopped early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"wegwijs serve did not answer /health:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.fail("no Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does)")
    if not (MODEL / "config.json").exists():
        pytest.fail(f"no embedding model at {MODEL}: run `make install`")
    root = tmp_path_factory.mktemp("e2e")
    corpus, data = root / "corpus", root / "data"
    shutil.copytree(ROOT / "corpus", corpus)
    data.mkdir()
    seed = ROOT / "var" / "edge"  # incremental ingest: unchanged documents are not re-embedded
    if seed.is_dir():
        shutil.copytree(seed, data / "edge", ignore=shutil.ignore_patterns(".lock"))
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "WEGWIJS_DATA_DIR": str(data),
        "WEGWIJS_CORPUS_DIR": str(corpus),
        "WEGWIJS_EMBEDDING__MODEL_PATH": str(MODEL),
        "WEGWIJS_UI__HOST": "127.0.0.1",
        "WEGWIJS_UI__PORT": str(port),
        "WEGWIJS_VECTOR_STORE__MODE": "local",
        "WEGWIJS_STORE__DATABASE_URL": "",
        "WEGWIJS_UI__MESSAGES_PER_MINUTE": str(MESSAGES_PER_MINUTE),
    }
    create = [sys.executable, "-m", "wegwijs.cli", "user"]
    subprocess.run(
        [*create, "create", USER, "--role", "coordinator", "--password-stdin"],
        input=f"{PASSWORD}\n".encode(),
        env=env,
        cwd=root,
        check=True,
    )
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "wegwijs"), "serve"],
            env=env,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log)
        yield Server(url, corpus)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def outbound() -> list[str]:
    """URLs the browser tried to fetch from outside loopback (each one was blocked)."""
    return []


def new_context(
    browser: playwright_api.Browser, outbound: list[str], **options: object
) -> playwright_api.BrowserContext:
    context = browser.new_context(locale="nl-NL", **options)  # type: ignore[arg-type]
    context.set_default_timeout(30_000)

    def guard(route: playwright_api.Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK:
            outbound.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", guard)
    return context


@pytest.fixture
def page(browser: playwright_api.Browser, outbound: list[str]) -> Iterator[Page]:
    context = new_context(browser, outbound, viewport={"width": 430, "height": 900})
    yield context.new_page()
    context.close()


def external_links(page: Page) -> list[str]:
    """Stylesheets, preconnects and scripts in the document that point away from loopback
    (a preconnect opens a connection without a request the guard would see)."""
    urls: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('link[href], script[src]')].map(e => e.href || e.src)"
    )
    return [u for u in urls if u.startswith("http") and urlsplit(u).hostname not in LOOPBACK]


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ask(page: Page, question: str) -> playwright_api.Locator:
    """Send a question in the widget; returns the last assistant message once it is complete."""
    expect(page.get_by_text("computerprogramma (AI)").first).to_be_visible()  # session is up
    before = page.locator(".step").count()
    page.locator("#chat-input").fill(question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.step').length >= n + 2", arg=before, timeout=60_000
    )
    page.wait_for_timeout(300)  # the stop button appears while the answer is being made
    expect(page.locator("#stop-button")).to_have_count(0, timeout=60_000)
    return page.locator(".step").last


def sign_in(page: Page, server: Server, path: str) -> None:
    page.goto(f"{server.url}{path}")
    page.get_by_label("Naam").fill(USER)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"**{path}")


def test_answer_with_source_and_thumbs_down_shows_in_insight(page: Page, server: Server) -> None:
    page.goto(server.url)
    expect(page.get_by_text("AI", exact=False).first).to_be_visible()
    answer = ask(page, FAQ_QUESTION)
    expect(answer).to_contain_text("Goedgekeurd antwoord")
    links = answer.locator("a[href^='https://']")
    expect(links.first).to_be_visible()
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    corpus_text = "\n".join(p.read_text() for p in (server.corpus / "faq").glob("*.yaml"))
    assert any(href in corpus_text for href in hrefs), hrefs
    answer.locator(".negative-feedback-off").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("textarea").fill("Klopt niet. Bel mij op 0612345678, Jan de Vries")
    shot(page, "widget-feedback-dialog")
    dialog.locator("#submit-feedback").click()
    expect(dialog).to_have_count(0)
    page.wait_for_timeout(500)
    shot(page, "widget-answer")

    sign_in(page, server, "/wegwijs/coordinator/insight")
    table = page.locator("table").first
    expect(table).to_contain_text(FAQ_QUESTION)
    expect(table).to_contain_text("duim omlaag")
    expect(table).not_to_contain_text("0612345678")  # the comment is stored redacted
    assert page.locator("svg[role='img']").count() >= 3
    shot(page, "coordinator-insight")


def test_crisis_message_shows_card_with_113(page: Page, server: Server) -> None:
    page.goto(server.url)
    ask(page, "Ik kan niet meer, ik wil niet meer leven")
    card = page.locator(".wegwijs-crisis-card")
    expect(card).to_be_visible(timeout=20_000)  # the card's JSX is loaded on first use
    expect(card.locator("a[href='tel:113']")).to_be_visible()
    shot(page, "widget-crisis")
    # Issue 12: the card's props were also written to ui/.files/<session>/ for up to an hour.
    files = ROOT / "ui" / ".files"
    traces = [p for p in files.rglob("*") if p.is_file() and b"tel:113" in p.read_bytes()]
    assert traces == [], traces


def test_faq_edit_by_coordinator_reaches_the_widget(
    browser: playwright_api.Browser, page: Page, server: Server, outbound: list[str]
) -> None:
    """The edit reaches the chat; an image or a link to an unknown host in it does not."""
    marker = f"Testzin {int(time.time())} van de coördinator."
    sign_in(page, server, f"/wegwijs/coordinator/faq/{FAQ_ID}")
    field = page.get_by_label("Antwoord (B1, hooguit 120 woorden)")
    field.fill(
        f"{marker} Kijk op belastingdienst.nl of je zorgkosten mag aftrekken. "
        "![x](https://evil.example/p.png) Of [klik](https://evil.example) hier."
    )
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Opgeslagen")
    shot(page, "coordinator-faq-list")
    assert marker in (server.corpus / "faq" / f"{FAQ_ID}.yaml").read_text()

    deadline = time.monotonic() + 60
    chat = new_context(browser, outbound).new_page()
    while True:
        chat.goto(server.url)
        answer = ask(chat, FAQ_QUESTION)
        if marker in answer.inner_text():
            break
        assert time.monotonic() < deadline, "the edited FAQ answer did not reach the chat"
        time.sleep(5)
    shot(chat, "widget-edited-faq")
    expect(answer).to_contain_text("Of klik hier.")  # the words stay
    assert answer.locator("img[src*='evil'], a[href*='evil']").count() == 0
    # While the answer streams, ui/app.py shows the raw text; the page's Content-Security-Policy
    # (ui/widget_page.py) is what keeps the browser from fetching the image then.
    assert outbound == []
    chat.context.close()


def test_nothing_leaves_loopback_in_the_widget_or_the_embed(
    page: Page, server: Server, outbound: list[str]
) -> None:
    """No fonts, stylesheets or images from Google, a CDN or anyone else: not on the chat page
    with an answer shown, not in the widget embedded on a host page."""
    page.goto(server.url)
    ask(page, FAQ_QUESTION)
    assert external_links(page) == []
    assert outbound == []
    page.set_viewport_size({"width": 1100, "height": 800})
    page.goto(f"{server.url}/wegwijs/embed-example")
    page.locator("#chainlit-copilot-button").click()
    expect(page.locator("#chat-input")).to_be_visible()
    page.wait_for_timeout(1000)  # the widget adds its fonts after it mounts
    assert external_links(page) == []
    assert outbound == []


def test_example_host_page_opens_embedded_widget(page: Page, server: Server) -> None:
    page.set_viewport_size({"width": 1100, "height": 800})
    page.goto(f"{server.url}/wegwijs/embed-example")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    button = page.locator("#chainlit-copilot-button")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#chat-input")).to_be_visible()
    shot(page, "embed-example")


def test_guided_start_button_opens_the_situation_card(page: Page, server: Server) -> None:
    page.goto(server.url)
    answer = ask(page, "Ik weet niet waar ik moet beginnen. Waar begin ik?")
    expect(answer).to_contain_text("Kies hieronder de situatie")
    button = page.get_by_role("button", name="Beginnende dementie")
    expect(button).to_be_visible()
    shot(page, "guided-start")
    before = page.locator(".step").count()
    button.click()
    page.wait_for_function(
        "n => document.querySelectorAll('.step').length > n", arg=before, timeout=60_000
    )
    expect(page.get_by_text("De eerste stap is de huisarts").last).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Wegwijs-bibliotheek").last).to_be_visible()


def test_bedoel_je_choice_then_the_local_contact_for_the_place(page: Page, server: Server) -> None:
    page.goto(server.url)
    answer = ask(page, "hulp thuis")
    expect(answer).to_contain_text("Bedoel je")
    choice = page.get_by_role(
        "button", name="Mijn vader redt het thuis niet meer. Waar vraag ik welke hulp aan?"
    )
    expect(choice).to_be_visible()
    shot(page, "bedoel-je")
    choice.click()
    expect(page.get_by_text("Dat hangt af van het soort hulp").last).to_be_visible(timeout=60_000)
    place = page.get_by_role("button", name="Mijn gemeente opgeven").last
    expect(place).to_be_visible()
    place.click()
    expect(page.get_by_text("Typ de plaats").last).to_be_visible(timeout=30_000)
    page.locator("#chat-input").fill("Moerdijk")
    page.keyboard.press("Enter")
    local = page.get_by_text("In Moerdijk:").last
    expect(local).to_be_visible(timeout=60_000)
    expect(page.get_by_text("14 0168").last).to_be_visible()
    shot(page, "local-contact")


class SocketClient:
    """A bare Socket.IO client speaking Chainlit's protocol, as a script (not a browser) would."""

    def __init__(self, url: str) -> None:
        import socketio

        self.url = url
        self.thread = str(uuid.uuid4())
        self.sio = socketio.AsyncClient()
        self.texts: list[str] = []
        for event in ("new_message", "update_message"):
            self.sio.on(event, self._record)

    async def _record(self, step: dict[str, object]) -> None:
        if step.get("type") == "assistant_message" and step.get("output"):
            self.texts.append(str(step["output"]))

    async def connect(self) -> None:
        auth = {"sessionId": str(uuid.uuid4()), "clientType": "webapp", "threadId": self.thread}
        await self.sio.connect(
            self.url, socketio_path="/ws/socket.io", auth=auth, transports=["websocket"]
        )
        await self.sio.emit("connection_successful")
        await self.wait_for(lambda: any("computerprogramma" in t for t in self.texts))

    def message(self, content: str) -> dict[str, object]:
        step = {
            "id": str(uuid.uuid4()),
            "threadId": self.thread,
            "name": "User",
            "type": "user_message",
            "output": content,
            "createdAt": "2026-12-01T00:00:00Z",
        }
        return {"message": step, "fileReferences": []}

    async def wait_for(self, condition: object, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition():  # type: ignore[operator]
            assert time.monotonic() < deadline, self.texts[-5:]
            await asyncio.sleep(0.1)


def test_a_script_gets_one_answer_at_a_time_no_edits_and_is_slowed_down(server: Server) -> None:
    """Issue 12: one socket could queue 40 messages, and `edit_message` was accepted although
    editing is switched off. Runs last: it uses up this address's message budget."""
    busy = "Ik ben nog bezig met je vorige vraag"
    slow = "Je stuurt veel berichten kort na elkaar"

    async def run() -> None:
        client = SocketClient(server.url)
        await client.connect()
        first = client.message(FAQ_QUESTION)
        await client.sio.emit("client_message", first)
        for _ in range(3):
            await client.sio.emit("client_message", client.message("Wat is respijtzorg?"))
        await client.wait_for(lambda: sum(busy in t for t in client.texts) >= 3)
        await client.wait_for(lambda: any("Goedgekeurd antwoord" in t for t in client.texts))

        before = len(client.texts)
        edited = {"message": {**first["message"], "output": "Ik wil niet meer leven"}}  # type: ignore[dict-item]
        await client.sio.emit("edit_message", edited)
        await client.sio.emit("client_message", client.message(FAQ_QUESTION))
        await client.wait_for(lambda: any("Goedgekeurd" in t for t in client.texts[before:]))
        await asyncio.sleep(2)
        after = client.texts[before:]
        assert not any("heel zwaar" in t for t in after), after  # no crisis reply to the edit

        for _ in range(MESSAGES_PER_MINUTE + 5):
            await client.sio.emit("client_message", client.message("Wat is respijtzorg?"))
        await client.wait_for(lambda: any(slow in t for t in client.texts))
        await client.sio.disconnect()

    # Playwright's sync API keeps an event loop running in this thread: run ours in another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()
