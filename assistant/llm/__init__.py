"""The LLM seam: one client for any OpenAI-compatible chat-completions server (vLLM in
production, llama_cpp.server on a laptop or in the contract tests), plus the context budget."""

from assistant.llm.budget import ContextBudget, estimate_tokens
from assistant.llm.client import (
    ChatClient,
    ChatMessage,
    LlmError,
    LlmTimeout,
    LlmUnavailable,
    OpenAICompatibleClient,
)

__all__ = [
    "ChatClient",
    "ChatMessage",
    "ContextBudget",
    "LlmError",
    "LlmTimeout",
    "LlmUnavailable",
    "OpenAICompatibleClient",
    "estimate_tokens",
]
