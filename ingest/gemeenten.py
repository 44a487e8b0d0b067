"""The gemeenten's own contacts (`corpus/gemeenten/<gemeente>.yaml`): the Wmo-loket or sociaal
wijkteam, the steunpunt mantelzorg and onafhankelijke cliëntondersteuning. Each contact carries
only the fields a public page confirmed, with that page as `source`; what could not be verified
is absent, and the answer then says where to look it up."""

from __future__ import annotations

from pathlib import Path

from ingest.metadata import URL_HINT, as_date, parse_yaml
from ingest.problems import Problem, error
from wegwijs.domain import GemeenteContacts, LocalContact
from wegwijs.links import is_source_url

ROLES = ("wmo_loket", "steunpunt_mantelzorg", "clientondersteuning")


def load_gemeenten(folder: Path, root: Path) -> tuple[dict[str, GemeenteContacts], list[Problem]]:
    """gemeente name (lower case) -> its contacts."""
    found: dict[str, GemeenteContacts] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.y*ml")) if folder.exists() else []:
        rel = str(path.relative_to(root))
        data, yaml_problems = parse_yaml(path.read_text(encoding="utf-8", errors="replace"), rel)
        if yaml_problems:
            problems.extend(yaml_problems)
            continue
        if not isinstance(data, dict) or not data.get("gemeente"):
            problems.append(error(rel, 1, "veld 'gemeente' ontbreekt"))
            continue
        contacts: list[LocalContact] = []
        for role, fields in (data.get("contacts") or {}).items():
            if role not in ROLES:
                problems.append(error(rel, 1, f"onbekend soort contact '{role}'"))
                continue
            if not isinstance(fields, dict) or not fields.get("name") or not fields.get("source"):
                problems.append(error(rel, 1, f"{role}: 'name' en 'source' zijn nodig"))
                continue
            urls = [str(fields.get(key, "")) for key in ("source", "url") if fields.get(key)]
            if any(not is_source_url(url) for url in urls):
                problems.append(
                    error(rel, 1, f"{role}: 'url' of 'source' is geen URL ({URL_HINT})")
                )
                continue
            contacts.append(
                LocalContact(
                    role=role,
                    name=str(fields["name"]).strip(),
                    source=str(fields["source"]),
                    phone=str(fields.get("phone") or "").strip(),
                    url=str(fields.get("url") or "").strip(),
                    hours=str(fields.get("hours") or "").strip(),
                )
            )
        name = str(data["gemeente"]).strip()
        found[name.lower()] = GemeenteContacts(name, as_date(data.get("checked")), tuple(contacts))
    return found, problems
