"""Alembic environment: runs on the connection `wegwijs.database.upgrade` passes in.

New revisions go in versions/ (written by hand; tests/test_migrations.py checks that the
migrated schema equals the tables the stores declare).
"""

from __future__ import annotations

from alembic import context

from wegwijs.database import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations with `wegwijs db upgrade` (wegwijs.database.upgrade)")
context.configure(connection=connection, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
