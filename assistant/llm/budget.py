"""Fit a prompt into the model's context window.

The window (`settings.llm.context_tokens`, which must not exceed the server's `--max-model-len`)
holds the prompt AND the answer, so the prompt gets `context_tokens - max_answer_tokens` minus a
small margin. When the rendered prompt is too long, parts are dropped in this order:

1. the oldest conversation turns, down to the last exchange (user + assistant);
2. the lowest-ranked passages, down to the best one;
3. the last exchange;
4. the tail of the best passage (cut at a word boundary).

Token counts are ESTIMATES, without loading a tokenizer: characters / 3.5, rounded up, plus 4
tokens per chat message for the role markers of the chat template. Measured on the Dutch answer
prompt (2,140 characters): XLM-R's multilingual tokenizer (250k pieces, a proxy for the large
vocabularies of Qwen, Mistral and Llama 3) gives 3.8 characters per token, so 3.5 errs on the
long side and the margin absorbs the rest. An English-centric tokenizer needs far more tokens:
SmolLM2 (used in the contract tests) gives 2.3 characters per token on the same prompt, so such
a model needs `chars_per_token` lowered.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.base import Turn
from assistant.llm.client import ChatMessage
from wegwijs.config import LlmSettings
from wegwijs.domain import ScoredChunk

CHARS_PER_TOKEN = 3.5
MESSAGE_OVERHEAD_TOKENS = 4
MIN_PASSAGE_CHARS = 200

PromptRenderer = Callable[[Sequence[ScoredChunk], Sequence[Turn]], list[ChatMessage]]


def estimate_tokens(text: str, chars_per_token: float = CHARS_PER_TOKEN) -> int:
    return math.ceil(len(text) / chars_per_token)


@dataclass(frozen=True)
class FittedPrompt:
    messages: list[ChatMessage]
    passages: list[ScoredChunk]  # what the prompt numbers [1]..[n], best first
    history: list[Turn]
    estimated_tokens: int
    fits: bool  # False only when even the minimal prompt is too long
    dropped_passages: int = 0
    dropped_turns: int = 0


class ContextBudget:
    def __init__(
        self,
        context_tokens: int,
        max_answer_tokens: int,
        *,
        margin_tokens: int = 32,
        chars_per_token: float = CHARS_PER_TOKEN,
    ) -> None:
        self.prompt_tokens = context_tokens - max_answer_tokens - margin_tokens
        self.chars_per_token = chars_per_token
        if self.prompt_tokens <= 0:
            raise ValueError(
                f"WEGWIJS_LLM__CONTEXT_TOKENS ({context_tokens}) leaves no room for a prompt next "
                f"to WEGWIJS_LLM__MAX_ANSWER_TOKENS ({max_answer_tokens})"
            )

    @classmethod
    def from_settings(cls, llm: LlmSettings) -> ContextBudget:
        return cls(llm.context_tokens, llm.max_answer_tokens)

    def measure(self, messages: Sequence[ChatMessage]) -> int:
        return sum(
            estimate_tokens(m["content"], self.chars_per_token) + MESSAGE_OVERHEAD_TOKENS
            for m in messages
        )

    def fit(
        self, render: PromptRenderer, passages: Sequence[ScoredChunk], history: Sequence[Turn]
    ) -> FittedPrompt:
        """Render with as much context as fits. `passages` best first, `history` oldest first."""
        kept_passages = list(passages)
        kept_turns = _from_first_user(list(history))
        while True:
            messages = render(kept_passages, kept_turns)
            tokens = self.measure(messages)
            if tokens <= self.prompt_tokens:
                return _fitted(messages, kept_passages, kept_turns, tokens, passages, history, True)
            if len(kept_turns) > 2:
                kept_turns = _from_first_user(kept_turns[1:])
            elif len(kept_passages) > 1:
                kept_passages.pop()
            elif kept_turns:
                kept_turns = []
            elif kept_passages and (shorter := self._shorter(kept_passages[0], tokens)):
                kept_passages = [shorter]
            else:
                fits = False
                return _fitted(messages, kept_passages, kept_turns, tokens, passages, history, fits)

    def _shorter(self, passage: ScoredChunk, tokens: int) -> ScoredChunk | None:
        """The passage cut by the excess, or None when it cannot get any shorter."""
        if len(passage.chunk.text) <= MIN_PASSAGE_CHARS + 2:
            return None
        excess_chars = math.ceil((tokens - self.prompt_tokens) * self.chars_per_token)
        shorter = _shortened(passage, excess_chars + 16)
        return shorter if len(shorter.chunk.text) < len(passage.chunk.text) else None


def _fitted(
    messages: list[ChatMessage],
    kept_passages: list[ScoredChunk],
    kept_turns: list[Turn],
    tokens: int,
    passages: Sequence[ScoredChunk],
    history: Sequence[Turn],
    fits: bool,
) -> FittedPrompt:
    return FittedPrompt(
        messages=messages,
        passages=kept_passages,
        history=kept_turns,
        estimated_tokens=tokens,
        fits=fits,
        dropped_passages=len(passages) - len(kept_passages),
        dropped_turns=len(history) - len(kept_turns),
    )


def _from_first_user(turns: list[Turn]) -> list[Turn]:
    """Chat templates (Mistral's, for one) want the history to start with a user turn."""
    while turns and turns[0].role != "user":
        turns = turns[1:]
    return turns


def _shortened(passage: ScoredChunk, cut_chars: int) -> ScoredChunk:
    text = passage.chunk.text
    keep = max(MIN_PASSAGE_CHARS, len(text) - cut_chars)
    cut = text[:keep].rsplit(" ", 1)[0] if " " in text[:keep] else text[:keep]
    return replace(passage, chunk=replace(passage.chunk, text=cut.rstrip() + " …"))
