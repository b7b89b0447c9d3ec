"""The review page's server: plain HTTP on this machine's loopback only, for one reviewer.

Safe by construction rather than by configuration:

- it listens on 127.0.0.1 and answers only requests whose ``Host`` is that address or
  ``localhost`` at its port (a web page elsewhere cannot reach it through DNS rebinding);
- every request for data carries a random per-run token: in the URL the page is opened with,
  then in an ``X-Leadmatch-Token`` header, which no cross-site form or link can set (CSRF);
  every change is a POST of JSON with that header. There is no CORS: no other origin may read;
- the page builds every lead and account value as text (``textContent``), under a
  Content-Security-Policy that runs only the page's own script, so a hostile lead name is shown,
  never run.

The page itself (HTML, CSS, a little JavaScript) is served from the package; no CDN, no build.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from leadmatch.errors import LeadmatchError
from leadmatch.review.session import Session

log = logging.getLogger("leadmatch")

#: Files of the page, by the path they are served at, with their content types.
_STATIC = {
    "/static/page.css": ("page.css", "text/css; charset=utf-8"),
    "/static/page.js": ("page.js", "text/javascript; charset=utf-8"),
}
#: Largest request body read (an answer is a few hundred bytes).
MAX_BODY = 64 * 1024
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def _asset(name: str) -> bytes:
    return resources.files("leadmatch").joinpath(f"data/review/{name}").read_bytes()


class ReviewServer(ThreadingHTTPServer):
    """Serves one :class:`Session` at ``url`` (port 0: any free port)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("review page: a connection from %s failed", client_address, exc_info=True)

    def __init__(self, session: Session, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.session = session
        self.token = secrets.token_urlsafe(32)
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # a connection left open holds a thread: not forever

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("review page: " + format, *args)

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        url = urlsplit(self.path)
        if url.path in _STATIC:
            name, kind = _STATIC[url.path]
            return self._send(HTTPStatus.OK, _asset(name), kind)
        if url.path == "/":
            if not self._token_ok(parse_qs(url.query).get("token", [""])[0]):
                return self._error(HTTPStatus.FORBIDDEN, "open the address leadmatch printed")
            return self._send(HTTPStatus.OK, _asset("page.html"), "text/html; charset=utf-8")
        if not self._token_ok(self.headers.get("X-Leadmatch-Token", "")):
            return self._error(HTTPStatus.FORBIDDEN, "missing or wrong token")
        session = self.server.session
        if url.path == "/api/state":
            return self._json(session.state())
        if url.path == "/api/search":
            return self._json({"accounts": session.search(parse_qs(url.query).get("q", [""])[0])})
        self._error(HTTPStatus.NOT_FOUND, "no such page")

    def do_POST(self) -> None:
        if not self._host_ok():
            return
        if not self._token_ok(self.headers.get("X-Leadmatch-Token", "")):
            return self._error(HTTPStatus.FORBIDDEN, "missing or wrong token")
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON")
        body = self._body()
        if body is None:
            return None
        session, path = self.server.session, urlsplit(self.path).path
        try:
            if path == "/api/answer":
                return self._json(session.answer(str(body["lead_id"]), body.get("account_id")))
            if path == "/api/skip":
                return self._json(session.skip(str(body["lead_id"])))
            if path == "/api/undo":
                last = body.get("lead_id")
                return self._json(session.undo(None if last is None else str(last)))
        except (LeadmatchError, KeyError, TypeError) as exc:
            return self._error(HTTPStatus.CONFLICT, str(exc))
        except OSError as exc:  # the labels file could not be written: nothing was saved
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"not saved: {exc}")
        self._error(HTTPStatus.NOT_FOUND, "no such action")

    def _body(self) -> dict[str, Any] | None:
        try:
            size = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            size = -1
        if "Transfer-Encoding" in self.headers or not 0 <= size <= MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large or unsized")
            return None
        try:
            body = json.loads(self.rfile.read(size) or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            self._error(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
            return None
        account = body.get("account_id")
        if account is not None and not isinstance(account, str):
            self._error(HTTPStatus.BAD_REQUEST, "account_id must be text or null")
            return None
        return body

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") in self.server.hosts:
            return True
        self._error(HTTPStatus.MISDIRECTED_REQUEST, "this server answers 127.0.0.1 only")
        return False

    def _token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.server.token.encode())

    def _json(self, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=True).encode()
        self._send(HTTPStatus.OK, body, "application/json")

    def _error(self, status: HTTPStatus, message: str) -> None:
        # A body left unread must not be read as the next request: close after an error.
        self.close_connection = True
        self._send(status, json.dumps({"error": message}).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in _HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
