"""The coordinator workspace over HTTP: the real routes on Chainlit's app, through its middleware
(CORS included), with a real user store in a temporary SQLite file. No browser, no lifespan."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from ui.runtime import Runtime, set_runtime, ui_dir
from wegwijs.config import Settings, StoreSettings, UiSettings, VectorStoreSettings

os.environ.setdefault("CHAINLIT_APP_ROOT", str(ui_dir()))
from chainlit.server import app as server_app  # after CHAINLIT_APP_ROOT is set

import ui.app  # the real app module: the embed allowlist and what it installs
from ui import routes
from ui.coordinator import users as users_module
from ui.coordinator.session import COOKIE

BASE = "/wegwijs/coordinator"
LOGIN = f"{BASE}/login"
EMBEDDER = "https://www.org.nl"  # a site on the embed allowlist (same site as the server)
USER, PASSWORD = "anna", "een-lang-wachtwoord"


# Tests that touch the accounts' SQL run on SQLite and on a real PostgreSQL too.
ON_BOTH = pytest.mark.parametrize(
    "runtime", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    (tmp_path / "corpus" / "faq").mkdir(parents=True)
    on_postgres = getattr(request, "param", "sqlite") == "postgres"
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=tmp_path / "corpus",
        vector_store=VectorStoreSettings(mode="memory"),
        store=StoreSettings(
            database_url=request.getfixturevalue("postgres_url") if on_postgres else ""
        ),
        ui=UiSettings(host="127.0.0.1", port=8000, embed_allowlist=[EMBEDDER]),
    )
    runtime = Runtime(settings)
    runtime.users.save(USER, PASSWORD, "coordinator")
    set_runtime(runtime)
    ui.app.apply_embed_allowlist(settings.ui.embed_allowlist)  # before the first request
    routes.install()
    yield runtime
    set_runtime(None)
    runtime.users.close()


def client_for(address: str = "127.0.0.1") -> TestClient:
    return TestClient(server_app, raise_server_exceptions=False, client=(address, 50000))


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return client_for()


def token_in(page: str) -> str:
    found = re.search(r"name='csrf' value='([^']*)'", page)
    return found.group(1) if found else ""


def without_tokens(page: str) -> str:
    return re.sub(r"name='csrf' value='[^']*'", "", page)


def sign_in(client: TestClient, name: str = USER, password: str = PASSWORD) -> httpx.Response:
    token = token_in(client.get(LOGIN).text)
    data = {"name": name, "password": password, "csrf": token, "next": f"{BASE}/faq"}
    return client.post(LOGIN, data=data, follow_redirects=False)


# Finding 2: bcrypt on the event loop, user enumeration, long passwords, no throttle.


def test_login_verifies_the_password_in_a_thread_while_other_pages_are_served(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow_verify(name: str, password: str) -> None:
        entered.set()
        release.wait(timeout=2)  # on the event loop this would hold every other request
        finished.set()

    monkeypatch.setattr(runtime.users, "verify", slow_verify)

    async def scenario() -> bool:
        transport = httpx.ASGITransport(app=server_app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            form = await http.get(LOGIN)
            data = {"name": USER, "password": "fout-wachtwoord", "csrf": token_in(form.text)}
            login = asyncio.create_task(http.post(LOGIN, data=data))
            await asyncio.to_thread(entered.wait, 5)
            other = await http.get(LOGIN)
            answered_while_verifying = other.status_code == 200 and not finished.is_set()
            release.set()
            assert (await login).status_code == 401
            return answered_while_verifying

    assert asyncio.run(scenario()), "the login handler verified on the event loop"


def test_unknown_names_cost_the_same_bcrypt_work_as_known_ones(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    costs: list[int] = []
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        costs.append(int(hashed.split(b"$")[2]))
        return real_checkpw(password, hashed)

    monkeypatch.setattr(users_module.bcrypt, "checkpw", counting_checkpw)
    assert sign_in(client, USER, "fout-wachtwoord").status_code == 401
    assert sign_in(client, "niemand", "fout-wachtwoord").status_code == 401
    assert len(costs) == 2 and costs[0] == costs[1] >= 12, costs  # the dummy has the real cost
    known, unknown = sign_in(client, USER, "fout-wachtwoord"), sign_in(client, "x", "y")
    assert without_tokens(known.text) == without_tokens(unknown.text)


def test_passwords_over_72_bytes_are_refused_with_a_message(
    runtime: Runtime, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    too_long = "é" * 37  # 74 bytes in UTF-8, 37 characters
    response = sign_in(client, USER, too_long)
    assert response.status_code == 400
    assert "te lang" in response.text and "72" in response.text
    with pytest.raises(ValueError, match="te lang"):
        runtime.users.save("bert", too_long, "coordinator")
    from wegwijs.cli import app as cli

    monkeypatch.setenv("WEGWIJS_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("WEGWIJS_STORE__DATABASE_URL", "")
    result = CliRunner().invoke(
        cli, ["user", "create", "bert", "--password-stdin"], input=too_long + "\n"
    )
    assert result.exit_code == 1 and "te lang" in result.output, result.output


@ON_BOTH
def test_login_is_throttled_per_account_and_per_ip_in_the_sql_store(
    runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.coordinator.throttle import LoginThrottle

    runtime.__dict__["login_throttle"] = LoginThrottle(
        runtime.users.engine, per_account=3, per_ip=5, window_seconds=900
    )
    for _ in range(3):
        assert sign_in(client, USER, "fout-wachtwoord").status_code == 401
    calls: list[bytes] = []
    monkeypatch.setattr(users_module.bcrypt, "checkpw", lambda p, h: calls.append(p) or True)
    blocked = sign_in(client, USER, PASSWORD)  # even the right password, without bcrypt
    assert blocked.status_code == 429 and calls == []
    assert 0 < int(blocked.headers["Retry-After"]) <= 900
    assert "Te veel pogingen" in blocked.text
    other_ip = client_for("10.0.0.7")
    assert sign_in(other_ip, USER, PASSWORD).status_code == 429  # the account is throttled
    monkeypatch.undo()
    # Every attempt counts, a refused one too: this is the 5th from 127.0.0.1, the 6th is one
    # too many whatever the name.
    assert sign_in(client, "bert", "fout-wachtwoord").status_code == 401
    assert sign_in(client, "carla", "fout-wachtwoord").status_code == 429
    # The counters are rows in the users' database: another replica sees the same numbers.
    replica = LoginThrottle(users_module.UserStore(runtime.users.url).engine, per_account=3)
    assert replica.wait_for(USER) > 0 and replica.wait_for("bert") == 0


# Finding 3: the coordinator pages and the widget's CORS policy, CSRF, framing, caching.


def test_coordinator_pages_send_no_cors_headers_but_the_widget_still_does(
    client: TestClient,
) -> None:
    for response in (
        client.get(LOGIN, headers={"Origin": EMBEDDER}),
        client.options(
            LOGIN, headers={"Origin": EMBEDDER, "Access-Control-Request-Method": "POST"}
        ),
    ):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    widget = client.get("/health", headers={"Origin": EMBEDDER})
    assert widget.headers["access-control-allow-origin"] == EMBEDDER


def test_coordinator_pages_are_not_cached_framed_or_open_to_other_sources(
    client: TestClient,
) -> None:
    for response in (client.get(LOGIN), client.get(f"{BASE}/faq", follow_redirects=False)):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert "script-src" not in policy  # no script at all on these pages


def test_every_form_carries_a_csrf_token_that_is_checked(client: TestClient) -> None:
    assert sign_in(client).status_code == 303
    page = client.get(f"{BASE}/faq/new").text
    forms = re.findall(r"<form method='post'.*?</form>", page, flags=re.S)
    assert len(forms) == 2  # the FAQ form and the logout button
    token = token_in(page)
    assert token and all(f"name='csrf' value='{token}'" in form for form in forms)
    providers = client.get(f"{BASE}/providers").text
    assert f"name='csrf' value='{token}'" in providers
    data = {
        "id": "faq-test",
        "question": "Waar vraag ik hulp bij het huishouden aan?",
        "answer": "Bij je gemeente. Vraag een gesprek aan bij het Wmo-loket.",
        "law": "wmo",
        "owner": USER,
        "variants": "hulp huishouden\nschoonmaakhulp aanvragen\nwie helpt met poetsen",
        "sources": "https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies",
        "read_more_title": "Ondersteuning en advies - Regelhulp",
        "read_more_url": "https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies",
        "legal": "Wmo 2015 art. 2.3.2",
        "review_by": "2030-01-01",
    }
    for bad in ({}, {"csrf": "x" * len(token)}):
        refused = client.post(f"{BASE}/faq/new", data={**data, **bad}, follow_redirects=False)
        assert refused.status_code == 403 and "opnieuw" in refused.text
    saved = client.post(f"{BASE}/faq/new", data={**data, "csrf": token}, follow_redirects=False)
    assert saved.status_code == 303, saved.text


def test_login_form_uses_a_double_submit_token(client: TestClient) -> None:
    data = {"name": USER, "password": PASSWORD}
    assert client.post(LOGIN, data=data, follow_redirects=False).status_code == 403
    other = client_for()
    stolen = token_in(other.get(LOGIN).text)  # a token that belongs to another browser
    client.cookies.clear()
    client.get(LOGIN)
    refused = client.post(LOGIN, data={**data, "csrf": stolen}, follow_redirects=False)
    assert refused.status_code == 403
    assert sign_in(client).status_code == 303


def test_state_changes_from_another_origin_are_refused(client: TestClient) -> None:
    assert sign_in(client).status_code == 303
    token = token_in(client.get(f"{BASE}/providers").text)
    for headers in (
        {"Origin": EMBEDDER},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    ):
        response = client.post(
            f"{BASE}/logout", data={"csrf": token}, headers=headers, follow_redirects=False
        )
        assert response.status_code == 403, headers
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    response = client.post(
        f"{BASE}/logout", data={"csrf": token}, headers=same, follow_redirects=False
    )
    assert response.status_code == 303


# Finding 7: sessions after logout and password reset, non-ASCII input, file modes, Host header.


@ON_BOTH
def test_a_session_ends_at_logout_and_at_a_password_reset(
    runtime: Runtime, client: TestClient
) -> None:
    assert sign_in(client).status_code == 303
    cookie = client.cookies[COOKIE]
    token = token_in(client.get(f"{BASE}/faq").text)
    assert client.post(f"{BASE}/logout", data={"csrf": token}).status_code == 200
    replay = client_for()
    replay.cookies.set(COOKIE, cookie, path=BASE)
    assert replay.get(f"{BASE}/faq", follow_redirects=False).status_code == 303

    assert sign_in(client).status_code == 303
    assert client.get(f"{BASE}/faq", follow_redirects=False).status_code == 200
    runtime.users.save(USER, "een-nieuw-wachtwoord", "coordinator")
    assert client.get(f"{BASE}/faq", follow_redirects=False).status_code == 303


def test_non_ascii_cookie_or_token_is_no_session_not_a_crash(
    runtime: Runtime, client: TestClient
) -> None:
    for value in ("abc.é", "é.abc", "ünï"):
        response = client.get(
            f"{BASE}/faq",
            headers={"Cookie": f"{COOKIE}={value}".encode()},  # type: ignore[dict-item]
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"].startswith(LOGIN)
    client.get(LOGIN)
    data = {"name": USER, "password": PASSWORD, "csrf": "tökén"}
    assert client.post(LOGIN, data=data, follow_redirects=False).status_code == 403
    runtime.token = "a-real-token"
    response = client.post(
        "/wegwijs/admin/ingest",
        headers={"X-Wegwijs-Token": "tökén".encode()},  # type: ignore[dict-item]
    )
    assert response.status_code == 401


def test_the_password_database_and_its_folder_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "new-data", store=StoreSettings(database_url=""))
    store = Runtime(settings).users
    store.save(USER, PASSWORD, "admin")
    database = tmp_path / "new-data" / "wegwijs.db"
    assert database.exists()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new-data").stat().st_mode) == 0o700
    store.close()
    database.chmod(0o644)  # an older install: tightened when the store opens it
    users_module.UserStore(f"sqlite:///{database}").close()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_embed_example_does_not_reflect_the_host_header(client: TestClient) -> None:
    evil = client.get("/wegwijs/embed-example", headers={"Host": "evil.example"})
    assert evil.status_code == 200
    assert "evil.example" not in evil.text
    assert 'src="http://127.0.0.1:8000/copilot/index.js"' in evil.text
    local = client.get("/wegwijs/embed-example", headers={"Host": "localhost:8000"})
    assert 'src="http://localhost:8000/copilot/index.js"' in local.text


# Finding 7: nothing could erase one conversation on request.


def test_a_coordinator_finds_and_erases_one_conversation(
    client: TestClient, runtime: Runtime
) -> None:
    from wegwijs.conversations import Exchange, Feedback

    store = runtime.container.conversations
    mine = Exchange("gesprek-1", "Mijn moeder Riet krijgt geen thuiszorg", "a", "answer", "card")
    other = Exchange("gesprek-2", "Hoe werkt respijtzorg?", "a", "answer", "card")
    for exchange in (mine, other):
        store.record(exchange)
        store.add_feedback(Feedback(exchange.id, 0))
    assert sign_in(client).status_code == 303
    found = client.get(f"{BASE}/erase", params={"q": "riet"})
    assert "Mijn moeder Riet" in found.text and "respijtzorg" not in found.text
    token = token_in(found.text)
    data = {"conversation": "gesprek-1", "q": "riet", "csrf": token}
    assert client.post(f"{BASE}/erase", data=without_csrf(data)).status_code == 403
    done = client.post(f"{BASE}/erase", data=data)
    assert done.status_code == 200 and "Gesprek gewist: 1 vragen" in done.text
    assert [e.conversation_id for e in store.exchanges()] == ["gesprek-2"]
    assert [f.exchange_id for f in store.feedback()] == [other.id]


def without_csrf(data: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in data.items() if k != "csrf"}
