"""The last version of each answer-card file that loaded without errors, kept as a copy in the
data directory (`<data>/last-good/<path in the corpus>`).

When a coordinator's edit breaks a card file (bad YAML, a list instead of fields, a wrong
value), the loader falls back to this copy: the chat keeps serving the card as it was until the
file is fixed, also after a restart. A deleted file is forgotten, so a deleted card stays gone.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("wegwijs.ingest")


class LastGood:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, rel: str) -> Path:
        return self.folder / rel

    def recall(self, rel: str) -> str | None:
        try:
            return self._path(rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def remember(self, rel: str, text: str) -> None:
        """Keep `text` as the last good version of `rel` (a failed write is logged, not raised:
        the chat must load even when the data directory is read-only or full)."""
        if self.recall(rel) == text:
            return
        target = self._path(rel)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".", suffix=".part", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, target)
        except OSError as exc:
            log.warning("last good copy of %s not written to %s: %s", rel, self.folder, exc)

    def keep_only(self, present: set[str]) -> None:
        """Forget the copies of files that are no longer in the corpus."""
        if not self.folder.exists():
            return
        for path in self.folder.rglob("*"):
            rel = str(path.relative_to(self.folder))
            if path.is_file() and rel not in present:
                path.unlink(missing_ok=True)
