"""The answer engine: retrieval, FAQ / generative / extractive strategies, citation checks."""
