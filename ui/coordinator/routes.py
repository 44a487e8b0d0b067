"""All coordinator routers, in the order they must be matched."""

from __future__ import annotations

from fastapi import APIRouter

from ui.coordinator import auth, data_pages, faq_pages


def coordinator_routers() -> list[APIRouter]:
    return [auth.router, faq_pages.router, data_pages.router]
