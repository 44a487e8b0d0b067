"""Provider CSV upload on the coordinator page (issue 12, finding 7): a cell a spreadsheet would
run as a formula (`=`, `+`, `-`, `@`, tab, carriage return in front) is refused with a Dutch
message and nothing is written; a phone number with +31 stays usable."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.corpus import load_corpus
from tests.conftest import make_settings
from tests.workspace import signed_in_client
from ui.coordinator.auth import BASE
from ui.runtime import Runtime

HEADER = "name,services,municipalities,postcode_ranges,phone,url,example,description\n"
GOOD = "Steunpunt Breda,mantelzorgondersteuning,Breda,,+31 76 123 4567,https://x.nl,false,Hulp\n"


@pytest.fixture
def corpus(corpus_copy: Path) -> Path:
    return corpus_copy


@pytest.fixture
def workspace(tmp_path: Path, corpus: Path) -> Iterator[TestClient]:
    yield from signed_in_client(Runtime(make_settings(tmp_path / "var", corpus)))


def upload(client: TestClient, text: str) -> tuple[int, str]:
    files = {"file": ("lijst.csv", text.encode("utf-8"), "text/csv")}
    response = client.post(f"{BASE}/providers", data={"name": "lijst"}, files=files)
    return response.status_code, response.text


@pytest.mark.parametrize(
    ("row", "column", "shown"),
    [
        ('"=HYPERLINK(""https://evil.example"",""klik"")",mantelzorgondersteuning,Breda,,,,false,x',
         "name", "'='"),
        ("Steunpunt,mantelzorgondersteuning,Breda,,,,false,@SUM(1+1)", "description", "'@'"),
        ("Steunpunt,mantelzorgondersteuning,-2+3+cmd|' /C calc'!A0,,,,false,x",
         "municipalities", "'-'"),
        ("Steunpunt,mantelzorgondersteuning,Breda,,,+cmd,false,x", "url", "'+'"),
        ("Steunpunt,mantelzorgondersteuning,Breda,,=1+1,,false,x", "phone", "'='"),
        ('Steunpunt,mantelzorgondersteuning,Breda,,,,false,"\t=1+1"', "description", "een tab"),
        ('Steunpunt,mantelzorgondersteuning,Breda,,,,false,"\r=1+1"', "description",
         "een regeleinde"),
        ("Steunpunt,mantelzorgondersteuning,Breda,,,,false, =1+1", "description", "'='"),
        ("Steunpunt,mantelzorgondersteuning,Breda,,,,false,x,=1+1", "extra", "'='"),
    ],
)  # fmt: skip
def test_a_formula_cell_is_refused_and_nothing_is_written(
    workspace: TestClient, corpus: Path, row: str, column: str, shown: str
) -> None:
    status, page = upload(workspace, HEADER + GOOD + row + "\n")
    assert status == 422
    assert html.escape(f"Regel 3: kolom '{column}' begint met {shown}") in page
    assert "Een spreadsheet kan dat uitvoeren als formule" in page
    assert not (corpus / "providers" / "lijst.csv").exists()


def test_a_formula_header_is_refused(workspace: TestClient, corpus: Path) -> None:
    status, page = upload(workspace, HEADER.replace("\n", ",=cmd\n") + GOOD)
    assert status == 422 and html.escape("Regel 1: kolom 'kopregel' begint met") in page
    assert not (corpus / "providers" / "lijst.csv").exists()


def test_phone_numbers_with_plus_and_dashes_still_upload(
    workspace: TestClient, corpus: Path
) -> None:
    second = "Wijkteam Breda,thuiszorg,Breda,4811-4821,076-1234567,https://y.nl,false,Verpleging\n"
    status, page = upload(workspace, HEADER + GOOD + second)
    assert status == 200, page
    assert "2 aanbieders opgeslagen in lijst.csv" in page
    phones = {p.name: p.phone for p in load_corpus(corpus).providers}
    assert phones["Steunpunt Breda"] == "+31 76 123 4567"
    assert phones["Wijkteam Breda"] == "076-1234567"
