"""Sign-in and the `signed_in` dependency every coordinator page uses."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ui.coordinator.layout import esc, messages, page
from ui.coordinator.session import COOKIE
from ui.coordinator.users import User
from ui.runtime import get_runtime

BASE = "/wegwijs/coordinator"
router = APIRouter()


class SignInRequired(HTTPException):
    def __init__(self, target: str) -> None:
        super().__init__(303, headers={"Location": f"{BASE}/login?next={quote(target)}"})


def signed_in(request: Request) -> User:
    user = get_runtime().sessions.read(request.cookies.get(COOKIE, ""))
    if user is None:
        raise SignInRequired(request.url.path)
    return user


CurrentUser = Annotated[User, Depends(signed_in)]


def login_form(next_url: str, error: str = "") -> str:
    return page(
        "Inloggen",
        messages([error] if error else [], "bad") + f"<form method='post' action='{BASE}/login'>"
        f"<input type='hidden' name='next' value='{esc(next_url)}'>"
        "<label for='name'>Naam</label>"
        "<input id='name' name='name' autocomplete='username' required autofocus>"
        "<label for='password'>Wachtwoord</label>"
        "<input id='password' name='password' type='password' "
        "autocomplete='current-password' required>"
        "<div><button type='submit'>Inloggen</button></div></form>",
    )


@router.get(BASE)
async def home() -> RedirectResponse:
    return RedirectResponse(f"{BASE}/faq", status_code=303)


@router.get(f"{BASE}/login")
async def login_page(next: str = f"{BASE}/faq") -> HTMLResponse:
    return HTMLResponse(login_form(next))


@router.post(f"{BASE}/login")
async def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = f"{BASE}/faq",
) -> Response:
    runtime = get_runtime()
    user = runtime.users.verify(name, password)
    if user is None:
        return HTMLResponse(login_form(next, "Naam of wachtwoord klopt niet."), status_code=401)
    target = next if next.startswith(f"{BASE}/") else f"{BASE}/faq"  # no open redirects
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        runtime.sessions.sign(user),
        max_age=runtime.sessions.lifetime,
        httponly=True,
        samesite="strict",  # with POST-only changes this also stops cross-site form posts
        secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https",
        path=BASE,
    )
    return response


@router.post(f"{BASE}/logout")
async def logout() -> RedirectResponse:
    response = RedirectResponse(f"{BASE}/login", status_code=303)
    response.delete_cookie(COOKIE, path=BASE)
    return response
