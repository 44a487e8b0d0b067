"""Sign-in, sign-out and the `signed_in` dependency every coordinator page uses.

bcrypt and SQL run in threads, never on the event loop. A sign-in attempt is counted by the
login throttle before the password is checked; a POST needs its CSRF token (ui.coordinator.csrf).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ui.coordinator import csrf
from ui.coordinator.layout import esc, messages, page
from ui.coordinator.session import COOKIE
from ui.coordinator.users import TOO_LONG, User, password_too_long
from ui.runtime import get_runtime

BASE = "/wegwijs/coordinator"
SAFE_METHODS = frozenset({"GET", "HEAD"})
EXPIRED = "Deze pagina is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens."
WRONG = "Naam of wachtwoord klopt niet."
router = APIRouter()
T = TypeVar("T")
# bcrypt (~250 ms of CPU) in a small pool of its own: a burst of logins queues here instead of
# taking every core and the default executor's threads from the chat.
PASSWORD_CHECKS = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="wegwijs-bcrypt"
)


async def hashing(work: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(PASSWORD_CHECKS, work, *args)


class PageExpired(HTTPException):
    """A POST without its CSRF token (an old tab, or another site): 403 with a Dutch page."""

    def __init__(self) -> None:
        super().__init__(403, detail=EXPIRED)


async def page_expired(request: Request, problem: Exception) -> HTMLResponse:
    body = messages([EXPIRED], "bad") + f"<p><a href='{BASE}/faq'>Naar de FAQ-lijst</a></p>"
    return HTMLResponse(page("Pagina verlopen", body), status_code=403)


class SignInRequired(HTTPException):
    def __init__(self, target: str) -> None:
        super().__init__(303, headers={"Location": f"{BASE}/login?next={quote(target)}"})


async def signed_in(request: Request) -> User:
    runtime = get_runtime()
    cookie = request.cookies.get(COOKIE, "")
    session = runtime.sessions.read(cookie)
    user = None
    if session is not None:
        user = await asyncio.to_thread(runtime.users.current, session.name, session.version)
    if user is None:
        safe = request.method in SAFE_METHODS
        raise SignInRequired(request.url.path if safe else f"{BASE}/faq")
    token = csrf.session_token(runtime.sessions, cookie)
    if request.method not in SAFE_METHODS:
        form = await request.form()  # already parsed for the handler: no second read
        if not csrf.matches(token, form.get(csrf.FIELD)):
            raise PageExpired()
    csrf.current.set(token)
    return user


CurrentUser = Annotated[User, Depends(signed_in)]


def login_form(next_url: str, token: str, error: str = "") -> str:
    return page(
        "Inloggen",
        messages([error] if error else [], "bad") + f"<form method='post' action='{BASE}/login'>"
        f"<input type='hidden' name='{csrf.FIELD}' value='{esc(token)}'>"
        f"<input type='hidden' name='next' value='{esc(next_url)}'>"
        "<label for='name'>Naam</label>"
        "<input id='name' name='name' autocomplete='username' required autofocus>"
        "<label for='password'>Wachtwoord</label>"
        "<input id='password' name='password' type='password' "
        "autocomplete='current-password' required>"
        "<div><button type='submit'>Inloggen</button></div></form>",
    )


def login_response(
    request: Request, next_url: str, error: str = "", status: int = 200
) -> HTMLResponse:
    """The login form with a new double-submit pair: a nonce in a cookie, its HMAC in the form."""
    nonce = csrf.new_nonce()
    token = csrf.login_token(get_runtime().sessions, nonce)
    response = HTMLResponse(login_form(next_url, token, error), status_code=status)
    response.set_cookie(
        csrf.LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path=BASE,
    )
    return response


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.get(BASE)
async def home() -> RedirectResponse:
    return RedirectResponse(f"{BASE}/faq", status_code=303)


@router.get(f"{BASE}/login")
async def login_page(request: Request, next: str = f"{BASE}/faq") -> HTMLResponse:
    return login_response(request, next)


@router.post(f"{BASE}/login")
async def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = f"{BASE}/faq",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    runtime = get_runtime()
    nonce = request.cookies.get(csrf.LOGIN_COOKIE, "")
    if not nonce or not csrf.matches(csrf.login_token(runtime.sessions, nonce), token):
        return login_response(request, next, EXPIRED, status=403)
    if password_too_long(password):
        return login_response(request, next, TOO_LONG[0].upper() + TOO_LONG[1:] + ".", 400)
    throttle = runtime.login_throttle
    wait = await asyncio.to_thread(throttle.attempt, name, client_address(request))
    if wait:
        minutes = max(1, round(wait / 60))
        when = "1 minuut" if minutes == 1 else f"{minutes} minuten"
        message = f"Te veel pogingen om in te loggen. Probeer het over {when} opnieuw."
        refused = login_response(request, next, message, status=429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    user = await hashing(runtime.users.verify, name, password)
    if user is None:
        return login_response(request, next, WRONG, status=401)
    await asyncio.to_thread(throttle.succeeded, name)
    version = await asyncio.to_thread(runtime.users.session_version, user.name)
    target = next if next.startswith(f"{BASE}/") else f"{BASE}/faq"  # no open redirects
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        runtime.sessions.sign(user, version),
        max_age=runtime.sessions.lifetime,
        httponly=True,
        samesite="strict",  # with POST-only changes this also stops cross-site form posts
        secure=is_https(request),
        path=BASE,
    )
    response.delete_cookie(csrf.LOGIN_COOKIE, path=BASE)
    return response


@router.post(f"{BASE}/logout")
async def logout(user: CurrentUser) -> RedirectResponse:
    """Ends every session of this account (all browsers, all replicas)."""
    await asyncio.to_thread(get_runtime().users.end_sessions, user.name)
    response = RedirectResponse(f"{BASE}/login", status_code=303)
    response.delete_cookie(COOKIE, path=BASE)
    return response
