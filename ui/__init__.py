"""The chat widget (Chainlit) and the coordinator pages."""
