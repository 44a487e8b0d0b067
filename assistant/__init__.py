"""The answer engine: retrieval, card matching, card / generative strategies, citation checks."""
