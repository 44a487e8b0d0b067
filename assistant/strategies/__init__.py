"""Answer strategies: one file each, behind the `Strategy` protocol in assistant.base."""
