"""The chat widget (Chainlit) and the coordinator pages."""

import os
from pathlib import Path

# Chainlit reads (and would otherwise create) .chainlit/ and .files/ in the current directory
# as soon as it is imported: point it at ui/ before any module here imports it.
os.environ.setdefault("CHAINLIT_APP_ROOT", str(Path(__file__).resolve().parent))
