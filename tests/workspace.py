"""The coordinator workspace as the server mounts it, for page tests without a browser."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ui.coordinator.routes import coordinator_routers
from ui.coordinator.session import COOKIE
from ui.coordinator.users import User
from ui.runtime import Runtime, set_runtime


def signed_in_client(runtime: Runtime) -> Iterator[TestClient]:
    """A client of the coordinator routers on `runtime`, signed in as a coordinator (a fixture
    body: yields once, then closes the runtime)."""
    set_runtime(runtime)
    app = FastAPI()
    for router in coordinator_routers():
        app.include_router(router)
    client = TestClient(app)
    client.cookies.set(COOKIE, runtime.sessions.sign(User("anna", "coordinator")))
    try:
        yield client
    finally:
        set_runtime(None)
        runtime.container.close()
