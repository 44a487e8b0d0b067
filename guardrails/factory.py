"""Builds `Guardrails` from the settings; the composition root calls `build_guardrails`."""

from __future__ import annotations

from guardrails.contacts import crisis_contacts
from guardrails.inspector import Guardrails
from wegwijs.config import Settings
from wegwijs.embedding import Embedder, SentenceTransformerEmbedder


def build_guardrails(settings: Settings, embedder: Embedder | None) -> Guardrails:
    """The real PII redactor, crisis contacts from corpus/contacts.yaml, optional embedder."""
    from guardrails.pii import DutchPiiRedactor  # heavy import (presidio, deduce): only here

    loaded = crisis_contacts(settings.corpus_dir / "contacts.yaml")
    guardrails = Guardrails(settings, DutchPiiRedactor(), embedder, loaded.contacts)
    guardrails.contacts_problem = loaded.problem
    return guardrails


GUARD_MAX_TOKENS = 128  # segments are sentences and short windows


def embedder_if_present(settings: Settings) -> Embedder | None:
    """The int8 e5 embedder the guard heads were trained on, when the model folder exists;
    the guardrails also work without it (rules only)."""
    if not (settings.model_path / "config.json").exists():
        return None
    e = settings.embedding
    return SentenceTransformerEmbedder(
        settings.model_path,
        e.query_prefix,
        e.passage_prefix,
        e.batch_size,
        GUARD_MAX_TOKENS,
        e.device,
        quantize=True,
    )
