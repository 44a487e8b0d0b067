"""Ingest: load -> clean -> chunk -> embed -> upsert, incremental by content hash."""
