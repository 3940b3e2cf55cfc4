"""Which Host and Origin headers `serve` answers: its own names, never another site's."""

from __future__ import annotations

import pytest

from playground.web.server import answers_to, host_name, same_origin, served_names


@pytest.mark.parametrize(
    ("bound", "header", "answered"),
    [
        ("127.0.0.1", "127.0.0.1:8000", True),
        ("127.0.0.1", "localhost:8000", True),
        ("127.0.0.1", "[::1]:8000", True),
        ("127.0.0.1", "evil.example:8000", False),  # a rebinding page's own name
        ("127.0.0.1", "192.168.1.5:8000", False),  # not an address it listens on
        ("127.0.0.1", 'x"><script>alert(1)</script>', False),
        ("0.0.0.0", "192.168.1.5:8000", True),  # a class typing the machine's address
        ("0.0.0.0", "[fe80::1]:8000", True),
        ("0.0.0.0", "evil.example", False),
        ("0.0.0.0", "proxy.school.example", True),  # given with --allow-host
    ],
)
def test_a_host_header_is_answered_only_for_this_servers_names(bound: str, header: str, answered: bool) -> None:
    names = served_names(bound, ["proxy.school.example"] if bound == "0.0.0.0" else [])
    assert answers_to(host_name(header), names, bound) is answered


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://127.0.0.1:8000", "localhost:8000", False),
        ("https://evil.example", "127.0.0.1:8000", False),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),  # a sandboxed frame, a file: page
        ("https://school.example", "school.example", True),
        ("http://school.example", "school.example:80", True),
        (None, "127.0.0.1:8000", True),  # not a browser: no other page behind it
    ],
)
def test_a_websocket_is_taken_only_from_the_pages_own_origin(origin: str | None, host: str, same: bool) -> None:
    assert same_origin(origin, host) is same
