"""The coordinator workspace as the server mounts it, for page tests without a browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ui.coordinator import csrf
from ui.coordinator.routes import coordinator_routers
from ui.coordinator.session import COOKIE
from ui.runtime import Runtime, set_runtime


class SignedInClient(TestClient):
    """Posts a form with the session's CSRF token, as the pages' own forms do."""

    csrf_token = ""

    def post(self, url: Any, *args: Any, data: Any = None, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            data = {csrf.FIELD: self.csrf_token, **data}
        return super().post(url, *args, data=data, **kwargs)


def signed_in_client(runtime: Runtime) -> Iterator[TestClient]:
    """A client of the coordinator routers on `runtime`, signed in as a coordinator (a fixture
    body: yields once, then closes the runtime)."""
    set_runtime(runtime)
    app = FastAPI()
    for router in coordinator_routers():
        app.include_router(router)
    client = SignedInClient(app)
    user = runtime.users.save("anna", "een-lang-wachtwoord", "coordinator")
    cookie = runtime.sessions.sign(user, runtime.users.session_version(user.name))
    client.cookies.set(COOKIE, cookie)
    client.csrf_token = csrf.session_token(runtime.sessions, cookie)
    try:
        yield client
    finally:
        set_runtime(None)
        runtime.container.close()
