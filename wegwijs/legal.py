"""Legal references: a label such as "Wmo 2015 art. 2.3.2" and the link to that article.

The link is built from the label, never typed by hand: the law's BWB identifier (listed in
../shared/facts) plus the article, in the Juriconnect form wetten.overheid.nl resolves
(`https://wetten.overheid.nl/jci1.3:c:BWBR0035362&artikel=2.3.2`).
"""

from __future__ import annotations

import re

from wegwijs.domain import Legal

LAWS: dict[str, str] = {
    "Wmo 2015": "BWBR0035362",
    "Zvw": "BWBR0018450",
    "Wlz": "BWBR0035917",
    "Jeugdwet": "BWBR0034925",
    "Wazo": "BWBR0013008",
    "Awb": "BWBR0005537",
    "Wzd": "BWBR0040632",
    "Wet IB 2001": "BWBR0011353",
    "Bzv": "BWBR0018492",
    "AKW": "BWBR0002368",
}
LAW_HOST = "wetten.overheid.nl"
LABEL = re.compile(
    r"^(?P<law>"
    + "|".join(re.escape(name) for name in sorted(LAWS, key=len, reverse=True))
    + r") art\. (?P<article>\d+[a-z]?(?:[.:]\d+[a-z]?)*)(?: lid \d+)?$"
)


def legal_link(label: str) -> Legal | None:
    """The reference for a label, or None when the label names no known law and article."""
    found = LABEL.match(label.strip())
    if found is None:
        return None
    bwb = LAWS[found["law"]]
    return Legal(label.strip(), f"https://{LAW_HOST}/jci1.3:c:{bwb}&artikel={found['article']}")


def is_law_text(url: str) -> bool:
    """A link to a bare law text, which nobody reads at 23:30 as a "Lees meer"."""
    return LAW_HOST in url
