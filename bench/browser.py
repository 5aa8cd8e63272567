"""One HTTP client of the benchmarks: its own cookies and source address, the sign-in form with its CSRF token.

Cookies are kept by hand: production cookies are Secure, and the benchmarks talk plain HTTP to gunicorn.
"""

import http.client
import re
from urllib.parse import urlencode

LOGIN = "/auth/login"
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """One client: its own cookies, connecting from `source` (a loopback address of its own if wished)."""

    def __init__(self, port: int, source: str = "127.0.0.1", timeout: float = 30):
        self.port, self.source, self.timeout, self.cookies = port, source, timeout, {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
        """One request on a fresh connection from the client's address: the status, the content type, the body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.headers.get("Content-Type", ""), text
        finally:
            conn.close()

    def login_form(self) -> str:
        """Open the sign-in page; its CSRF token."""
        status, _type, page = self.request("GET", LOGIN)
        match = CSRF_TOKEN.search(page)
        assert status == 200 and match, status
        return match.group(1)

    def sign_in(self, email: str, password: str, token: str | None = None) -> int:
        """Post the sign-in form (with `token`, else a fresh one); the status."""
        body = urlencode({"csrf_token": token or self.login_form(), "email": email, "password": password})
        return self.request("POST", LOGIN, body)[0]
