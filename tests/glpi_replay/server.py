"""Replays GLPI's legacy REST API (apirest.php) as documented, on 127.0.0.1.

Covers what sobrenum uses: initSession (App-Token + ``Authorization: user_token``),
search/:itemtype with forcedisplay and range paging (200 / 206 Partial Content,
Content-Range ``start-end/total``, Accept-Range), killSession, and GLPI's error bodies
``["ERROR_CODE", "message; voir la documentation…"]`` with their HTTP statuses.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Item = dict[str, Any]  # search option id (as str) -> value


@dataclass
class ReplayState:
    user_token: str = "usr-tok-0123456789abcdefghijklmnopqrstuv"
    app_token: str | None = "app-tok-abcdefghijklmnopqrstuvwxyz0123"
    items: dict[str, list[Item]] = field(default_factory=dict)
    max_range: int = 1000
    fail_search: dict[str, int] = field(default_factory=dict)  # itemtype -> HTTP status
    sessions: set[str] = field(default_factory=set)
    killed: list[str] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _doc(base: str, code: str) -> str:
    return f"voir la documentation dans votre navigateur à {base}/#{code}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        base = f"http://{self.headers.get('Host')}/apirest.php"
        self._send(status, [code, f"{message}; {_doc(base, code)}"])

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        path = url.path
        if not path.startswith("/apirest.php/"):
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>Not Found</body></html>")
            return
        endpoint = path[len("/apirest.php/") :].strip("/")
        query = dict(parse_qsl(url.query))
        with state.lock:
            state.requests.append((endpoint, query))
        # App-Token filter of the API client (if the client is configured with one).
        if state.app_token is not None:
            sent = self.headers.get("App-Token") or query.get("app_token")
            if not sent:
                self._error(
                    400,
                    "ERROR_APP_TOKEN_PARAMETERS_MISSING",
                    "l'API actuelle requiert le paramètre app_token",
                )
                return
            if sent != state.app_token:
                self._error(
                    400,
                    "ERROR_WRONG_APP_TOKEN_PARAMETER",
                    "le paramètre app_token semble incorrect",
                )
                return
        if endpoint == "initSession":
            auth = self.headers.get("Authorization") or ""
            match = re.fullmatch(r"user_token\s+(\S+)", auth.strip())
            if not match:
                self._error(
                    400,
                    "ERROR_LOGIN_PARAMETERS_MISSING",
                    "le(s) paramètre(s) login, password ou user_token sont manquants",
                )
                return
            if match.group(1) != state.user_token:
                self._error(
                    401, "ERROR_GLPI_LOGIN_USER_TOKEN", "le paramètre user_token semble incorrect"
                )
                return
            token = uuid.uuid4().hex[:26]
            with state.lock:
                state.sessions.add(token)
            self._send(200, {"session_token": token})
            return
        session = self.headers.get("Session-Token") or query.get("session_token")
        if not session:
            self._error(
                400,
                "ERROR_SESSION_TOKEN_MISSING",
                "le paramètre session_token est manquant ou vide",
            )
            return
        if session not in state.sessions:
            self._error(401, "ERROR_SESSION_TOKEN_INVALID", "session_token semble incorrect")
            return
        if endpoint == "killSession":
            with state.lock:
                state.sessions.discard(session)
                state.killed.append(session)
            self._send(200, True)
            return
        if endpoint.startswith("search/"):
            self._search(endpoint.split("/", 1)[1], query)
            return
        self._error(
            400,
            "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM",
            "ressource introuvable ou n'étant pas une instance de CommonDBTM",
        )

    def _search(self, itemtype: str, query: dict[str, str]) -> None:
        state = self.server.state
        if itemtype in state.fail_search:
            status = state.fail_search[itemtype]
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>Internal Server Error</body></html>")
            return
        if itemtype not in state.items:
            self._error(
                400,
                "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM",
                "ressource introuvable ou n'étant pas une instance de CommonDBTM",
            )
            return
        items = state.items[itemtype]
        total = len(items)
        start, end = (int(x) for x in query.get("range", "0-49").split("-"))
        if total and start >= total:
            self._error(
                400,
                "ERROR_RANGE_EXCEED_TOTAL",
                "la plage fournie dépasse le nombre total d'éléments",
            )
            return
        end = min(end, start + state.max_range - 1, total - 1)
        shown = {v for k, v in query.items() if k.startswith("forcedisplay[")}
        shown |= {"1", "2", "80"}  # always present, as documented
        page = [{k: v for k, v in it.items() if k in shown} for it in items[start : end + 1]]
        status = 206 if end < total - 1 else 200
        headers = {
            "Content-Range": f"{start}-{end}/{total}",
            "Accept-Range": f"{itemtype} {state.max_range}",
        }
        body = {
            "totalcount": total,
            "count": len(page),
            "sort": [int(query.get("sort", 1))],
            "order": [query.get("order", "ASC")],
            "data": page,
            "content-range": f"{start}-{end}/{total}",
        }
        self._send(status, body, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ReplayState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class ReplayGlpi:
    """Start with ``with ReplayGlpi(state) as glpi:``; ``glpi.url`` ends in apirest.php."""

    def __init__(self, state: ReplayState) -> None:
        self.state = state
        self._server = _Server(state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/apirest.php"

    def __enter__(self) -> ReplayGlpi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
