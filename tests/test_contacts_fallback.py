"""A broken corpus/contacts.yaml must never silence the crisis reply (issue 12, finding 1).

Before: `load_contacts` raised on bad YAML, only a missing file fell back to the national lines,
the guardrails could not be built and every reply failed, the YAML error text reached the user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import guardrails.contacts as crisis_contacts_module
from guardrails.contacts import crisis_contacts
from wegwijs.contacts import LAST_RESORT_CONTACTS, ContactsError, load_contacts

ROOT = Path(__file__).resolve().parent.parent
GOOD = """contacts:
  - id: eigen-lijn
    name: "Eigen lijn"
    phones: ["076-1234567"]
    situations: [talk]
    hours: "09:00-17:00"
"""
BROKEN = {
    "unclosed quote": 'contacts:\n  - id: x\n    name: "oops\n    phones: ["113"]\n',
    "tab indentation": "contacts:\n\t- id: x\n",
    "top-level list": "- id: x\n  name: X\n",
    "phone as number": "contacts:\n  - id: x\n    name: X\n    phones: [113]\n",
    "phone without digits": 'contacts:\n  - id: x\n    name: X\n    phones: ["bel ons"]\n',
    "unknown situation": "contacts:\n  - id: x\n    name: X\n    situations: [zelfmoord]\n",
    "missing name": 'contacts:\n  - id: x\n    phones: ["113"]\n',
    "duplicate id": GOOD + GOOD.removeprefix("contacts:\n"),
    "misspelt key": "contact:\n  - id: x\n    name: X\n",
    "link that is no https address": (
        'contacts:\n  - id: x\n    name: X\n    phones: ["113"]\n'
        '    chat_url: "https://x.nl/a)![p](https://evil.example/p.png)"\n'
    ),
    "javascript link": 'contacts:\n  - id: x\n    name: X\n    url: "javascript:alert(1)"\n',
}


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "contacts.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def phones(contacts: list) -> set[str]:
    return {p for c in contacts for p in c.phones}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_broken_file_is_reported_and_the_national_lines_answer(
    tmp_path: Path, case: str
) -> None:
    path = write(tmp_path, BROKEN[case])
    with pytest.raises(ContactsError, match=r"^contacts\.yaml"):
        load_contacts(path)
    loaded = crisis_contacts(path)
    assert loaded.problem and "contacts.yaml" in loaded.problem
    assert {"113", "0800-0113", "112", "0800-2000"} <= phones(loaded.contacts)


def test_undecodable_file_falls_back_too(tmp_path: Path) -> None:
    loaded = crisis_contacts(write(tmp_path, b"contacts:\n  - id: \xff\xfe\n"))
    assert loaded.problem and "cannot be read" in loaded.problem
    assert {"113", "112"} <= phones(loaded.contacts)


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    text = GOOD + '  - id: kapot\n    name: "Kapot\n    phones: [1]\n'
    with pytest.raises(ContactsError, match=r"^contacts\.yaml:\d+: "):
        load_contacts(write(tmp_path, text))


def test_a_good_file_is_used_as_is_and_topped_up(tmp_path: Path) -> None:
    loaded = crisis_contacts(write(tmp_path, GOOD))
    assert loaded.problem is None
    assert loaded.contacts[0].id != "eigen-lijn"  # the national lines (priority 1, 10) come first
    assert "076-1234567" in phones(loaded.contacts) and "113" in phones(loaded.contacts)


def test_without_any_readable_file_the_lines_in_the_code_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    national = tmp_path / "national.yaml"
    national.write_text("contacts: [", encoding="utf-8")
    monkeypatch.setattr(crisis_contacts_module, "NATIONAL_CONTACTS", national)
    loaded = crisis_contacts(write(tmp_path, BROKEN["tab indentation"]))
    assert {c.id for c in loaded.contacts} == {c.id for c in LAST_RESORT_CONTACTS}
    assert {"113", "0800-0113", "112"} <= phones(loaded.contacts)


def test_the_shipped_national_file_matches_the_lines_in_the_code() -> None:
    national = {c.id: c for c in load_contacts(crisis_contacts_module.NATIONAL_CONTACTS)}
    for contact in LAST_RESORT_CONTACTS:
        assert national[contact.id].phones == contact.phones


def test_wegwijs_ask_with_a_broken_contacts_file_still_gives_113(tmp_path: Path) -> None:
    """The issue's own check, through the real CLI: crisis route, 113 in contacts, no YAML text."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "contacts.yaml").write_text(BROKEN["unclosed quote"], encoding="utf-8")
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "WEGWIJS_CORPUS_DIR": str(corpus),
        "WEGWIJS_DATA_DIR": str(tmp_path / "data"),
        "WEGWIJS_EMBEDDING__MODEL_PATH": str(ROOT / "var" / "models" / "multilingual-e5-small"),
    }
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "wegwijs"), "ask", "ik wil niet meer leven", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["route"] == "crisis"
    assert "113" in [p for c in result["contacts"] for p in c["phones"]]
    assert "oops" not in done.stdout and "end of stream" not in done.stdout
    assert "contacts.yaml:" in done.stderr  # said in the log, with the line
