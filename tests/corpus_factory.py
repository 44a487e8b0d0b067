"""Builds small corpora on disk for ingest tests (valid and deliberately broken files)."""

from __future__ import annotations

from pathlib import Path

FRONT = """---
id: {id}
title: {title}
law: {law}
sources:
  - https://wetten.overheid.nl/BWBR0035362
checked: 2026-11-20
review_by: 2099-01-01
read_more:
  title: Ondersteuning en advies voor mantelzorgers
  url: https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies
{extra}---
"""


def write_doc(root: Path, doc_id: str, body: str, law: str = "wmo", extra: str = "") -> Path:
    path = root / "docs" / law / f"{doc_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    title = doc_id.replace("-", " ").capitalize()
    path.write_text(FRONT.format(id=doc_id, title=title, law=law, extra=extra) + body, "utf-8")
    return path


def write_faq(root: Path, faq_id: str, question: str, variants: list[str], answer: str) -> Path:
    path = root / "faq" / f"{faq_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"id: {faq_id}", f"question: {question}", "variants:"]
    lines += [f"  - {v}" for v in variants]
    lines += [
        "answer: |",
        f"  {answer}",
        "law: wmo",
        "sources:",
        "  - https://wetten.overheid.nl/BWBR0035362",
        "owner: mantelzorgconsulent",
        "review_by: 2099-01-01",
        "read_more:",
        "  title: Ondersteuning en advies voor mantelzorgers",
        "  url: https://www.regelhulp.nl/mantelzorgers/ondersteuning-en-advies",
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def small_corpus(root: Path) -> Path:
    write_doc(
        root,
        "wmo-huishoudelijke-hulp",
        "# Huishoudelijke hulp\n\n## Wat is het?\n\nHuishoudelijke hulp is hulp bij het "
        "schoonmaken van je huis. Je vraagt het aan bij de gemeente.\n\n## Hoe vraag je het aan?"
        "\n\nJe doet een melding bij het Wmo-loket. Daarna volgt een gesprek.\n",
    )
    write_doc(
        root,
        "zvw-wijkverpleging",
        "# Wijkverpleging\n\n## Wat is het?\n\nDe wijkverpleegkundige helpt bij verzorging "
        "thuis. De zorgverzekeraar betaalt het. Je hebt geen indicatie van de gemeente nodig.\n",
        law="zvw",
    )
    write_doc(
        root,
        "wmo-breda-loket",
        "# Het loket in Breda\n\nIn Breda vraag je hulp aan bij het loket van de gemeente. "
        "Dit document gaat alleen over Breda.\n",
        extra="municipalities: [Breda]\n",
    )
    write_faq(
        root,
        "faq-hulp-aanvragen",
        "Hoe vraag ik hulp aan bij de gemeente?",
        ["Waar vraag ik Wmo-hulp aan?", "Hulp thuis aanvragen", "Bij wie moet ik zijn voor hulp?"],
        "Je doet een melding bij de gemeente. Dat kan bij het Wmo-loket.",
    )
    (root / "contacts.yaml").write_text("contacts: []\n", "utf-8")
    return root
