"""Coordinator workspace parts without a browser: sessions, accounts, FAQ files, insight,
the feedback data layer and the retention job."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from chainlit.types import Feedback

from ui.coordinator.faq_files import FaqForm, read_form, save_form
from ui.coordinator.insight import Unanswered, group_similar, unanswered, usage
from ui.coordinator.session import Session, SessionSigner, load_secret
from ui.coordinator.users import User, UserStore
from ui.data_layer import WegwijsDataLayer
from ui.runtime import Runtime
from wegwijs.config import Settings, StoreSettings
from wegwijs.conversations import Exchange, MemoryConversationStore, SqlConversationStore
from wegwijs.conversations import Feedback as StoredFeedback
from wegwijs.domain import CrisisKind, Route, Verdict


def test_session_cookie_round_trip_tamper_and_expiry(tmp_path: Path) -> None:
    secret = load_secret(tmp_path)
    assert load_secret(tmp_path) == secret  # created once
    signer = SessionSigner(secret, lifetime=60)
    cookie = signer.sign(User("anna", "coordinator"), 3, now=1000)
    assert signer.read(cookie, now=1010) == Session("anna", 3)
    assert signer.read(cookie, now=2000) is None
    payload, mac = cookie.split(".")
    assert signer.read(payload + "." + "0" * len(mac), now=1010) is None
    assert SessionSigner(b"another-secret-of-32-bytes......").read(cookie, now=1010) is None


def test_user_store_hashes_and_verifies(tmp_path: Path) -> None:
    store = UserStore(f"sqlite:///{tmp_path / 'u.db'}")
    store.save("anna", "lang-genoeg-1", "admin")
    assert store.verify("anna", "lang-genoeg-1") == User("anna", "admin")
    assert store.verify("anna", "fout-wachtwoord") is None
    assert store.verify("bert", "lang-genoeg-1") is None
    with pytest.raises(ValueError):
        store.save("bert", "kort", "coordinator")
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("select password_hash from wegwijs_users").scalar_one()
    assert "lang-genoeg-1" not in stored and stored.startswith("$2")


def _form(**changes: object) -> FaqForm:
    form = FaqForm(
        id="faq-test",
        question="Waar vraag ik hulp bij het huishouden aan?",
        variants=["hulp huishouden", "schoonmaakhulp aanvragen", "wie helpt met poetsen"],
        answer="Bij je gemeente. Vraag een gesprek aan bij het Wmo-loket.",
        law="wmo",
        sources=["https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies"],
        owner="anna",
        review_by="2030-01-01",
        read_more_title="Ondersteuning en advies - Regelhulp",
        read_more_url="https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies",
        legal=["Wmo 2015 art. 2.3.2"],
    )
    for key, value in changes.items():
        setattr(form, key, value)
    return form


def test_faq_form_is_validated_before_it_is_saved(tmp_path: Path) -> None:
    today = date(2026, 11, 1)
    problems = save_form(tmp_path, _form(), today, new=True)
    assert [p.message for p in problems] == ["antwoord heeft maar 10 woorden"]  # a warning only
    saved = read_form(tmp_path, "faq-test")
    assert saved is not None and saved.answer.startswith("Bij je gemeente.")
    problems = save_form(tmp_path, _form(law="onzin", answer="Iets anders."), today)
    assert any("onbekende wet" in p.message for p in problems)
    still = read_form(tmp_path, "faq-test")
    assert still is not None and still.law == "wmo"  # the bad edit did not replace the file
    assert save_form(tmp_path, _form(), today, new=True)[0].message.startswith("er is al")
    assert list((tmp_path / "faq").glob(".*")) == []  # no temp files left behind


class FakeEmbedder:
    dim = 2

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.array([[1.0, 0.0] if "pgb" in t else [0.0, 1.0] for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


def test_unanswered_questions_are_grouped_with_reasons() -> None:
    asked = [
        Exchange("c", "pgb aanvragen hoe", "", "answer", "none"),
        Exchange("c", "hoe werkt een pgb", "", "answer", "extractive", low_confidence=True),
        Exchange("c", "parkeren bij ziekenhuis", "", "answer", "faq"),
        Exchange("c", "[NAAM] wil niet meer", "", "crisis", "none", crisis_kind="suicide"),
    ]
    feedback = [StoredFeedback(asked[2].id, 0, "klopt niet"), StoredFeedback(asked[2].id, 1)]
    found = unanswered(asked, feedback)
    assert Unanswered("parkeren bij ziekenhuis", "thumbs_down", "klopt niet") in found
    assert all(u.question != "[NAAM] wil niet meer" for u in found)
    groups = group_similar(found, FakeEmbedder())  # type: ignore[arg-type]
    assert [(g.question, g.count) for g in groups] == [
        ("pgb aanvragen hoe", 2),
        ("parkeren bij ziekenhuis", 1),
    ]
    stats = usage(asked)
    assert stats.total == 4 and dict(stats.strategies)["none"] == 1
    assert dict(stats.crisis) == {"suicide": 1} and stats.per_day[-1][1] == 4


def test_data_layer_stores_redacted_feedback_for_linked_messages_only() -> None:
    store = MemoryConversationStore()

    def inspect(text: str) -> Verdict:
        redacted = text.replace("0612345678", "[TELEFOON]")
        if "niet meer leven" in text:
            return Verdict(Route.crisis, redacted, crisis_kind=CrisisKind.suicide)
        return Verdict(Route.answer, redacted, concern="zo moe" in text)

    layer = WegwijsDataLayer(lambda: store, inspect)
    asyncio.run(layer.link("msg-1", "exchange-1"))
    asyncio.run(layer.upsert_feedback(Feedback(forId="msg-1", value=0, comment="bel 0612345678")))
    stored = store.feedback()
    assert stored == [StoredFeedback("exchange-1", 0, "bel [TELEFOON]", stored[0].created_at)]
    # Nobody replies to a comment: a crisis or concern in it is marked for the coordinator.
    for comment, mark in [
        ("ik wil niet meer leven, 0612345678", "[crisissignaal: suicide] "),
        ("ik ben zo moe", "[crisissignaal: zorgen] "),
    ]:
        asyncio.run(layer.upsert_feedback(Feedback(forId="msg-1", value=0, comment=comment)))
        stored = store.feedback()  # one per answer: the last one replaced the earlier
        assert len(stored) == 1
        assert stored[0].comment == mark + comment.replace("0612345678", "[TELEFOON]")
    with pytest.raises(ValueError):
        asyncio.run(layer.upsert_feedback(Feedback(forId="unknown", value=1)))
    assert asyncio.run(layer.get_thread("t")) is None  # nothing else is kept


def test_retention_job_purges_at_start_and_keeps_recent(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store=StoreSettings(retention_days=1))
    runtime = Runtime(settings)
    store = SqlConversationStore(settings.database_url)
    old = Exchange("c", "oud", "", "answer", "faq", created_at=datetime.now(UTC) - timedelta(2))
    new = Exchange("c", "nieuw", "", "answer", "faq")
    store.record(old)
    store.record(new)
    store.add_feedback(StoredFeedback(old.id, 0))
    runtime.container.override("conversations", store)
    runtime.retention_every = 0.05

    async def run_briefly() -> None:
        task = asyncio.create_task(runtime._purge_forever())
        await asyncio.sleep(0.2)
        task.cancel()

    asyncio.run(run_briefly())
    assert [e.question for e in store.exchanges()] == ["nieuw"]
    assert store.feedback() == []


def test_a_law_text_is_no_readable_source_and_a_bad_law_label_is_refused(tmp_path: Path) -> None:
    today = date(2026, 11, 1)
    problems = save_form(
        tmp_path, _form(read_more_url="https://wetten.overheid.nl/BWBR0035362"), today, new=True
    )
    assert any("wettekst" in p.message for p in problems)
    problems = save_form(tmp_path, _form(legal=["Wmo artikel twee"]), today, new=True)
    assert any("geen wet + artikel" in p.message for p in problems)
    assert read_form(tmp_path, "faq-test") is None  # nothing was written


def test_library_card_keeps_its_facets_when_edited_and_can_be_approved(tmp_path: Path) -> None:
    today = date(2026, 11, 1)
    folder = tmp_path / "cards" / "wmo"
    folder.mkdir(parents=True)
    form = _form(id="wmo-test", status="library")
    form.extra = {"facets": {"for": ["ouder"], "setting": ["thuis"]}, "topic": "huishouden"}
    (folder / "wmo-test.yaml").write_text(form.to_yaml(), encoding="utf-8")
    edited = read_form(tmp_path, "wmo-test")
    assert edited is not None and edited.status == "library"
    edited.answer = "Bij je gemeente. Meld je bij het Wmo-loket en vraag om een gesprek."
    edited.status = "approved"
    assert [p for p in save_form(tmp_path, edited, today) if p.severity == "error"] == []
    text = (folder / "wmo-test.yaml").read_text(encoding="utf-8")
    assert "status: approved" in text and "ouder" in text and "topic: huishouden" in text
    assert not (tmp_path / "faq" / "wmo-test.yaml").exists()  # edited where it lives


def test_feedback_through_one_replica_finds_the_answer_made_by_another(tmp_path: Path) -> None:
    """Issue 11: the message-to-exchange links lived in one process's memory, so with two app
    replicas the feedback landed on the one that never made the answer and was lost."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    replica_a, replica_b = SqlConversationStore(url), SqlConversationStore(url)

    def inspect(text: str) -> Verdict:
        return Verdict(Route.answer, text)

    exchange = Exchange("c", "Wat is respijtzorg?", "antwoord", "answer", "card")
    replica_a.record(exchange)
    asyncio.run(WegwijsDataLayer(lambda: replica_a, inspect).link("msg-9", exchange.id))
    layer_b = WegwijsDataLayer(lambda: replica_b, inspect)
    asyncio.run(layer_b.upsert_feedback(Feedback(forId="msg-9", value=0, comment="te vaag")))
    assert [(f.exchange_id, f.value, f.comment) for f in replica_a.feedback()] == [
        (exchange.id, 0, "te vaag")
    ]


def test_accounts_made_before_session_versions_still_sign_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = UserStore(url)
    store.save("anna", "lang-genoeg-1", "admin")
    with store.engine.begin() as conn:  # the table as it was before sessions had versions
        conn.exec_driver_sql("alter table wegwijs_users drop column session_version")
    store.close()
    reopened = UserStore(url)
    assert reopened.verify("anna", "lang-genoeg-1") == User("anna", "admin")
    assert reopened.current("anna", 0) == User("anna", "admin")
    reopened.end_sessions("anna")
    assert reopened.current("anna", 0) is None and reopened.current("anna", 1) is not None
