"""A bad answer-card file (issue 12, finding 6): the coordinator's FAQ pages list it with its
`file:line` error instead of a 500, the log names each problem on its own line, and the chat
keeps serving the last good version of that card until the file is fixed, through the same
path the running server takes (`Runtime.ingest` -> `Container.load_corpus` -> ingest)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.base import AnswerRequest
from tests.conftest import make_settings
from tests.embedding_cache import CachedEmbedder
from tests.workspace import signed_in_client
from ui.runtime import Runtime
from wegwijs.domain import Answer

BASE = "/wegwijs/coordinator"
CARD = "faq-respijtzorg"
ASKED = "respijt zorg wat is dat"
BAD_YAML = "id: kapot\nquestion: Kapot\nvariants: [niet dicht\nanswer: x\n"
A_LIST = "- id: lijst\n- question: Een lijst in plaats van velden\n"


def start(data: Path, corpus: Path, embedder: CachedEmbedder) -> Runtime:
    runtime = Runtime(make_settings(data, corpus))
    runtime.container.override("embedder", embedder)
    return runtime


@pytest.fixture
def corpus(corpus_copy: Path) -> Path:
    return corpus_copy


@pytest.fixture
def workspace(tmp_path: Path, corpus: Path, embedder: CachedEmbedder) -> Iterator[TestClient]:
    runtime = start(tmp_path / "var", corpus, embedder)
    yield from signed_in_client(runtime)


def ask(runtime: Runtime, question: str = ASKED) -> Answer:
    return asyncio.run(runtime.container.engine.answer(AnswerRequest(question)))


def test_bad_card_files_are_listed_with_file_and_line_and_never_give_a_500(
    workspace: TestClient, corpus: Path
) -> None:
    (corpus / "faq" / "kapot.yaml").write_text(BAD_YAML, encoding="utf-8")
    (corpus / "faq" / "lijst.yaml").write_text(A_LIST, encoding="utf-8")
    good = (corpus / "faq" / f"{CARD}.yaml").read_text(encoding="utf-8")
    (corpus / "faq" / "Respijt Zorg.yml").write_text(good.replace(CARD, "respijt-2"), "utf-8")

    listing = workspace.get(f"{BASE}/faq")
    assert listing.status_code == 200
    assert "faq/kapot.yaml:4: fout: YAML kan niet gelezen worden" in listing.text
    assert "faq/lijst.yaml:1: fout: een kaart moet velden bevatten" in listing.text
    assert "faq/Respijt Zorg.yml:1: fout: de bestandsnaam moet respijt-2.yaml zijn" in listing.text
    assert f"{BASE}/faq/{CARD}'" in listing.text  # the good cards are still listed

    for entry_id in ("kapot", "lijst"):
        edit = workspace.get(f"{BASE}/faq/{entry_id}")
        assert edit.status_code == 200, entry_id
        assert f"faq/{entry_id}.yaml:" in edit.text
        assert "<form method='post'" in edit.text  # the coordinator can write a good version
    assert "niet dicht" in workspace.get(f"{BASE}/faq/kapot").text  # the file as it is now


def test_the_edit_page_of_a_broken_card_offers_its_last_good_version_and_saving_fixes_it(
    workspace: TestClient, corpus: Path
) -> None:
    from ui.runtime import get_runtime

    asyncio.run(get_runtime().ingest())  # the card loaded once: its last good version is kept
    path = corpus / "faq" / f"{CARD}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "law: [wmo\n", encoding="utf-8")

    edit = workspace.get(f"{BASE}/faq/{CARD}")
    assert edit.status_code == 200
    assert f"faq/{CARD}.yaml:" in edit.text and "laatste goede versie" in edit.text
    assert "Respijtzorg betekent dat iemand anders" in edit.text  # the form is filled from it

    form = {
        "question": "Wat is respijtzorg en hoe kan ik even vrij zijn van de zorg?",
        "variants": "even vrij van het mantelzorgen, kan dat?\nrespijt zorg wat is dat\n"
        "vervangende zorg regelen zodat ik even vrij ben",
        "answer": "Respijtzorg betekent dat iemand anders de zorg even van je overneemt. " * 5,
        "law": "wmo",
        "sources": "https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies",
        "owner": "anna",
        "review_by": "2099-01-01",
        "read_more_title": "Ondersteuning en advies - Regelhulp",
        "read_more_url": "https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies",
    }
    saved = workspace.post(f"{BASE}/faq/{CARD}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    listing = workspace.get(f"{BASE}/faq").text
    assert f"faq/{CARD}.yaml" not in listing  # fixed: no problem left for it


def test_each_problem_is_logged_on_its_own_line(
    workspace: TestClient, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ui.runtime import get_runtime

    (corpus / "faq" / "kapot.yaml").write_text(BAD_YAML, encoding="utf-8")
    (corpus / "faq" / "lijst.yaml").write_text(A_LIST, encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="wegwijs.ui"):
        asyncio.run(get_runtime().ingest())
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("corpus: faq/kapot.yaml:4: fout: YAML kan niet gelezen worden")
               for line in lines), lines  # fmt: skip
    assert any("faq/lijst.yaml:1: fout: een kaart moet velden bevatten" in line for line in lines)


def test_a_card_that_breaks_keeps_answering_with_its_last_good_version(
    tmp_path: Path, corpus: Path, embedder: CachedEmbedder
) -> None:
    runtime = start(tmp_path / "var", corpus, embedder)
    asyncio.run(runtime.ingest())
    before = ask(runtime)
    assert before.card_id == CARD, before  # the approved card answers

    path = corpus / "faq" / f"{CARD}.yaml"
    good = path.read_text(encoding="utf-8")
    broken_versions = (good + "variants: [kapot\n", "- een lijst\n", good.replace("wmo", "x"))
    for broken in broken_versions:
        path.write_text(broken, encoding="utf-8")
        report, problems = asyncio.run(runtime.ingest())
        assert any(p.startswith(f"faq/{CARD}.yaml:") for p in problems), problems
        assert report["removed"] == 0
        still = ask(runtime)
        assert (still.card_id, still.answer) == (before.card_id, before.answer), broken
    runtime.container.close()

    restarted = start(tmp_path / "var", corpus, embedder)  # a new process, file still broken
    asyncio.run(restarted.ingest())
    assert ask(restarted).card_id == CARD

    path.write_text(good.replace("Respijtzorg betekent", "Respijtzorg is"), encoding="utf-8")
    asyncio.run(restarted.ingest())  # fixed: the new version answers
    assert ask(restarted).answer.startswith("Respijtzorg is")

    path.unlink()  # a deleted card is gone, not brought back from the last good version
    report, _ = asyncio.run(restarted.ingest())
    assert report["removed"] == 1 and ask(restarted).card_id != CARD
    restarted.container.close()
