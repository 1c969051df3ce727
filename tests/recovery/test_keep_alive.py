"""An idle keep-alive connection outlives a client pool's idle time (uvicorn's default is 5 s)."""

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.processes import maestro_serve

pytestmark = pytest.mark.slow

IDLE_SECONDS = 7.0  # longer than uvicorn's 5 s default, as pools keep connections 5-60 s


def _get(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    response = b""
    while b"\r\n\r\n" not in response or not response.endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        response += chunk
    return response


def test_an_idle_keep_alive_connection_is_still_open_for_the_next_request(tmp_path: Path):
    with maestro_serve(tmp_path / "data") as server:
        parts = urlsplit(server.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            assert _get(sock).startswith(b"HTTP/1.1 200")

            time.sleep(IDLE_SECONDS)  # the behaviour under test is what idleness does

            assert _get(sock).startswith(b"HTTP/1.1 200")
