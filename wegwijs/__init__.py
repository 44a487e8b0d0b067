"""Wegwijs: shared settings, domain types, service seams and the composition root."""
