"""Generative answers: an LLM over the OpenAI-compatible API writes a short Dutch answer from the
numbered passages, then the citation check keeps only the citations the passages support.

The prompts are files (assistant/prompts/*.nl.txt, the system prompt swappable through
WEGWIJS_LLM__SYSTEM_PROMPT_FILE) with `{placeholders}`. Passages go into the prompt as data,
inside <bron> tags; the system prompt tells the model never to follow instructions in them.

LLM failures are not caught here: every one is an `assistant.llm.LlmError`, and the engine falls
back to the card choices or who to ask on it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx

from assistant.base import AnswerRequest, Turn
from assistant.citations import CitationCheck
from assistant.llm.budget import ContextBudget, FittedPrompt
from assistant.llm.client import ChatClient, ChatMessage, LlmError, OpenAICompatibleClient
from wegwijs.config import OrganisationSettings, Settings
from wegwijs.domain import Answer, Route, ScoredChunk, Strategy

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
BRON_TAG = re.compile(r"<\s*/?\s*bron", re.IGNORECASE)
THINKING = re.compile(r"<think>.*?</think>\s*", re.DOTALL)
NO_PASSAGES = "(Er zijn geen bronnen gevonden.)"
UNKNOWN_MUNICIPALITY = "onbekend"


def render(template: str, values: dict[str, str]) -> str:
    """Fill `{name}` placeholders; unknown names and other braces stay as they are, so an edited
    prompt file with a stray brace does not break."""
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)


class AnswerPrompt:
    """The chat messages for one question: system prompt, recent turns, passages + question."""

    def __init__(
        self, system_template: str, answer_template: str, organisation: OrganisationSettings
    ) -> None:
        self.system_template = system_template
        self.answer_template = answer_template
        self.organisation = organisation

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerPrompt:
        return cls(
            _read_system_prompt(settings.llm.system_prompt_file),
            (PROMPTS_DIR / "answer.nl.txt").read_text(encoding="utf-8"),
            settings.organisation,
        )

    def messages(
        self, request: AnswerRequest, passages: Sequence[ScoredChunk], history: Sequence[Turn]
    ) -> list[ChatMessage]:
        values = {
            "organisation": self.organisation.name,
            "ask_whom": self.ask_whom(),
            "passages": _numbered(passages),
            "municipality": request.municipality or UNKNOWN_MUNICIPALITY,
            "question": request.question.strip(),
        }
        messages: list[ChatMessage] = [
            {"role": "system", "content": render(self.system_template, values).strip()}
        ]
        messages += [{"role": t.role, "content": t.text} for t in history]
        messages.append({"role": "user", "content": render(self.answer_template, values).strip()})
        return messages

    def ask_whom(self) -> str:
        """Who to ask when the passages do not answer: Wmo-loket, huisarts, the organisation."""
        people = ["het Wmo-loket van je gemeente", "je huisarts"]
        org = self.organisation
        if org.name and org.name != "Wegwijs":  # not the assistant's own name
            phone = f" (bel {org.contact_phone})" if org.contact_phone else ""
            people.append(f"{org.name}{phone}")
        return ", ".join(people[:-1]) + " of " + people[-1]


class GenerativeStrategy:
    def __init__(
        self,
        client: ChatClient,
        settings: Settings,
        check: CitationCheck,
        *,
        prompt: AnswerPrompt | None = None,
        budget: ContextBudget | None = None,
    ) -> None:
        self._client = client
        self._check = check
        self._prompt = prompt or AnswerPrompt.from_settings(settings)
        self._budget = budget or ContextBudget.from_settings(settings.llm)
        self._history_turns = settings.retrieval.history_turns
        self._max_tokens = settings.llm.max_answer_tokens
        self._temperature = settings.llm.temperature

    @classmethod
    def from_settings(
        cls, settings: Settings, *, http: httpx.AsyncClient | None = None
    ) -> GenerativeStrategy:
        """The strategy for `settings.llm` (backend "openai"). Pass the app's shared
        `httpx.AsyncClient` to reuse connections; None opens one per request (see client.py)."""
        client = OpenAICompatibleClient.from_settings(settings.llm, http)
        return cls(client, settings, CitationCheck())

    async def answer(self, request: AnswerRequest, passages: list[ScoredChunk]) -> Answer | None:
        """The whole answer at once, citations checked. Raises LlmError when the LLM fails."""
        fitted = self.prompt(request, passages)
        text = await self._client.complete(fitted.messages, self._max_tokens, self._temperature)
        return self.finish(text, passages[: len(fitted.passages)])  # the ones the model saw

    async def stream(
        self, request: AnswerRequest, passages: list[ScoredChunk]
    ) -> AsyncIterator[str]:
        """Raw text deltas as the model writes them (citations NOT yet checked): call
        `finish(joined deltas, passages)` afterwards for the checked Answer."""
        fitted = self.prompt(request, passages)
        async for delta in self._client.stream(
            fitted.messages, self._max_tokens, self._temperature
        ):
            yield delta

    def finish(self, text: str, passages: list[ScoredChunk]) -> Answer:
        """Citation check of a finished text; `passages` as given to answer()/stream()."""
        checked = self._check.check(THINKING.sub("", text).strip(), passages)
        return Answer(
            route=Route.answer,
            strategy=Strategy.generative,
            answer=checked.text,
            citations=checked.citations,
            low_confidence=checked.low_confidence or not checked.text,
            retrieved=list(passages),
        )

    def prompt(self, request: AnswerRequest, passages: Sequence[ScoredChunk]) -> FittedPrompt:
        """The messages for this request, fitted into the context budget."""
        history = _alternating(request.history[-2 * self._history_turns :])
        fitted = self._budget.fit(
            lambda kept, turns: self._prompt.messages(request, kept, turns), passages, history
        )
        if not fitted.fits:
            raise LlmError(
                f"The prompt needs about {fitted.estimated_tokens} tokens, more than "
                "WEGWIJS_LLM__CONTEXT_TOKENS minus WEGWIJS_LLM__MAX_ANSWER_TOKENS allows."
            )
        return fitted


def _numbered(passages: Sequence[ScoredChunk]) -> str:
    if not passages:
        return NO_PASSAGES
    blocks = []
    for number, passage in enumerate(passages, start=1):
        chunk = passage.chunk
        lines = [f'<bron nummer="{number}">', f"Titel: {_data(chunk.title)}"]
        if chunk.heading_path:
            lines.append(f"Onderwerp: {_data(' > '.join(chunk.heading_path))}")
        lines += [_data(chunk.text.strip()), "</bron>"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _data(text: str) -> str:
    """A passage cannot open or close a <bron> block of its own."""
    return BRON_TAG.sub("(bron", text)


def _alternating(turns: Sequence[Turn]) -> list[Turn]:
    """User/assistant turns that alternate, start with the user and end with the assistant, as
    strict chat templates demand. Consecutive turns of one role are joined."""
    merged: list[Turn] = []
    for turn in turns:
        if turn.role not in ("user", "assistant") or not turn.text.strip():
            continue
        if merged and merged[-1].role == turn.role:
            merged[-1] = Turn(turn.role, merged[-1].text + "\n" + turn.text)
        else:
            merged.append(turn)
    while merged and merged[0].role != "user":
        merged.pop(0)
    while merged and merged[-1].role != "assistant":
        merged.pop()
    return merged


def _read_system_prompt(path_setting: str) -> str:
    path = Path(path_setting) if path_setting else PROMPTS_DIR / "system.nl.txt"
    if not path.is_file():
        raise FileNotFoundError(
            f"System prompt file {path} not found: fix WEGWIJS_LLM__SYSTEM_PROMPT_FILE "
            "(empty means assistant/prompts/system.nl.txt)"
        )
    return path.read_text(encoding="utf-8")
