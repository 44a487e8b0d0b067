"""A real PostgreSQL server for the store tests: a throwaway cluster the tests start themselves.

`postgres_server` (session): initdb in a temp dir, pg_ctl start on a free loopback port, stopped
and removed at the end. `postgres_url` (per test): a fresh database on it, dropped afterwards.
A missing server is a failure, never a skip: `make test` installs Debian's `postgresql`.
Tests run as root here, and PostgreSQL refuses to run as root: then the cluster belongs to the
`postgres` system user and its commands run through `runuser`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, text

MISSING = (
    "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or on "
    "PATH: run `make system-packages` (installs Debian's postgresql package)"
)


@dataclass(frozen=True)
class PostgresServer:
    port: int
    seconds_to_start: float

    def url(self, database: str = "postgres", driver: str = "psycopg") -> URL:
        return URL.create(
            f"postgresql+{driver}",
            username="postgres",
            host="127.0.0.1",
            port=self.port,
            database=database,
        )


def server_binaries() -> Path | None:
    """The folder with initdb and pg_ctl (Debian keeps them off PATH), newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version, reverse=True)
    on_path = shutil.which("initdb")
    for initdb in [*found, *([on_path] if on_path else [])]:
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_owner() -> tuple[list[str], int | None, int | None]:
    """The command prefix and the uid/gid that own the cluster."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("tests run as root, and there is no `postgres` user to own the test cluster")
    return ["runuser", "-u", "postgres", "--"], owner.pw_uid, owner.pw_gid


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_server() as server:
        yield server


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A new cluster in a temp dir, started; stopped and removed on exit."""
    binaries = server_binaries()
    if binaries is None:
        pytest.fail(MISSING)
    prefix, uid, gid = _as_owner()
    folder = Path(tempfile.mkdtemp(prefix="wegwijs-pg-"))
    data, log = folder / "data", folder / "server.log"
    if uid is not None and gid is not None:
        os.chown(folder, uid, gid)
    began = time.perf_counter()
    port = _free_port()
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        _run([*prefix, str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
              "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])  # fmt: skip
        _run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
              "-t", "60", "-o", options, "start"])  # fmt: skip
    except subprocess.CalledProcessError as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"the test PostgreSQL did not start: {exc}\n{exc.stderr}\n{tail}")
    try:
        yield PostgresServer(port, time.perf_counter() - began)
    finally:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database for one test; its URL (postgresql+psycopg://) as a string."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_server.url(name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
