"""Console fixtures: a browser-like HTTP client that signs in through the form."""

import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.live_server import LiveServer

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleBrowser:
    """An httpx client that keeps cookies like a browser and knows the page's CSRF token."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, follow_redirects=False, timeout=30)

    def sign_in(self, key: str, next_path: str = "/") -> httpx.Response:
        form = self.http.get("/login")
        token = CSRF.search(form.text).group(1)
        return self.http.post(
            "/login", data={"api_key": key, "csrf_token": token, "next": next_path}
        )

    def csrf(self, path: str = "/") -> str:
        """The session's CSRF token, read from a page as a browser's form would carry it."""
        return CSRF.search(self.http.get(path, follow_redirects=True).text).group(1)

    def post(
        self, path: str, data: dict[str, str] | None = None, *, token: bool = True
    ) -> httpx.Response:
        fields = dict(data or {})
        if token:
            fields["csrf_token"] = self.csrf()
        return self.http.post(path, data=fields)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def console(server: LiveServer) -> Iterator[Callable[[], ConsoleBrowser]]:
    opened: list[ConsoleBrowser] = []

    def factory() -> ConsoleBrowser:
        browser = ConsoleBrowser(server.url)
        opened.append(browser)
        return browser

    yield factory
    for browser in opened:
        browser.close()
