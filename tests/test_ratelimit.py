"""The per-address message limit and how the visitor's address is found (issue 12, finding 2)."""

from __future__ import annotations

from ui.ratelimit import SlidingWindowLimit, client_address


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_holds_per_address_and_frees_up_after_the_window() -> None:
    clock = Clock()
    limit = SlidingWindowLimit(3, window_s=60, clock=clock)
    assert [limit.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert limit.allow("b")  # another address has its own count
    clock.now += 30
    assert not limit.allow("a")  # refused messages do not extend the window
    clock.now += 31
    assert limit.allow("a")


def test_zero_switches_the_limit_off() -> None:
    limit = SlidingWindowLimit(0)
    assert all(limit.allow("a") for _ in range(1000))


def test_the_address_comes_from_the_socket_peer_not_engineio_s_fixed_remote_addr() -> None:
    environ = {"REMOTE_ADDR": "127.0.0.1", "asgi.scope": {"client": ("203.0.113.7", 5123)}}
    assert client_address(environ) == "203.0.113.7"
    assert client_address({}) == ""


def test_behind_a_proxy_the_last_forwarded_entry_counts() -> None:
    headers = [(b"x-forwarded-for", b"198.51.100.1, 203.0.113.9")]
    environ = {"asgi.scope": {"client": ("10.0.0.2", 1), "headers": headers}}
    assert client_address(environ, "X-Forwarded-For") == "203.0.113.9"
    assert client_address(environ) == "10.0.0.2"  # not trusted unless configured
