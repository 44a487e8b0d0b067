"""The database in trouble (issue 12): gone, locked, corrupt, read-only, full.

In every case the chat answers (a crisis too), nothing already stored is lost, and the store
works again by itself when the fault ends. Uses a real SQLite file through the real
`SqlConversationStore`; read-only and full use a small tmpfs (needs mount rights; the reason is
given when the machine has none).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_faults import chat_with, guards, run
from wegwijs.chat import ChatService
from wegwijs.conversations import SqlConversationStore
from wegwijs.domain import Route

QUESTION = "hoe vraag ik respijtzorg aan?"


def stored(store: SqlConversationStore) -> list[str]:
    return [e.question for e in store.exchanges()]


def answers(chat: ChatService) -> None:
    """A normal question and a crisis both get their reply."""
    assert run(chat, QUESTION)[1].answer.answer.strip()
    crisis = run(chat, "ik wil niet meer leven")[1].answer
    assert crisis.route is Route.crisis and "113" in {p for c in crisis.contacts for p in c.phones}


def setup_store(folder: Path) -> tuple[SqlConversationStore, ChatService]:
    store = SqlConversationStore(f"sqlite:///{folder / 'wegwijs.db'}")
    chat = chat_with(guards(), store=store)
    run(chat, "eerste vraag over de wmo")
    assert stored(store) == ["eerste vraag over de wmo"]
    return store, chat


def test_database_file_gone(tmp_path: Path) -> None:
    store, chat = setup_store(tmp_path)
    (tmp_path / "wegwijs.db").unlink()
    answers(chat)  # the store made its tables again and kept recording
    assert QUESTION in stored(store)


def test_database_locked_then_released(tmp_path: Path) -> None:
    store, chat = setup_store(tmp_path)
    holder = sqlite3.connect(tmp_path / "wegwijs.db")
    holder.execute("BEGIN EXCLUSIVE")
    answers(chat)  # waited for the lock, gave up, answered
    holder.rollback()
    holder.close()
    run(chat, QUESTION)
    assert stored(store) == ["eerste vraag over de wmo", QUESTION]


def test_database_corrupt_then_restored(tmp_path: Path) -> None:
    store, chat = setup_store(tmp_path)
    db = tmp_path / "wegwijs.db"
    backup = db.read_bytes()
    db.write_bytes(b"this is not a database" * 200)
    answers(chat)
    db.write_bytes(backup)  # the operator restores the backup
    run(chat, QUESTION)
    assert stored(store) == ["eerste vraag over de wmo", QUESTION]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({done.stderr.strip()}): read-only and full not run"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_database_read_only_then_writable(small_disk: Path) -> None:
    store, chat = setup_store(small_disk)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    answers(chat)
    assert stored(store) == ["eerste vraag over de wmo"]  # still readable, nothing lost
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    run(chat, QUESTION)
    assert stored(store) == ["eerste vraag over de wmo", QUESTION]


def test_disk_full_then_freed(small_disk: Path) -> None:
    store, chat = setup_store(small_disk)
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # the disk is full
    finally:
        os.close(fd)
    long_question = QUESTION + " " + "mantelzorg " * 3000  # needs new pages
    assert run(chat, long_question)[1].answer.answer.strip()
    answers(chat)
    filler.unlink()
    run(chat, QUESTION)
    assert stored(store)[0] == "eerste vraag over de wmo" and stored(store)[-1] == QUESTION
