"""The web app: ``create_app(settings)`` builds the FastAPI application.

Layout:
- ``web/api/*.py``: REST API routers under ``/api/v1`` (each module's ``router``);
- ``web/pages/*.py``: HTML page routers (Jinja2 + htmx), each module's ``router``;
- ``web/auth.py``: login, logout, ProConnect;
- ``web/deps.py``: who is asking and what they may do; ``web/security.py``: secrets, cookies,
  CSRF; ``web/errors.py``: French errors (JSON for the API, a page for browsers).

Routers are found by walking the ``api`` and ``pages`` packages, so adding a module there is
enough to add its routes. Every route gets the CSRF check (``deps.csrf_protect``).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from sobrenum.store import Store, open_store
from sobrenum.store.database import SQLITE_FILE_NAME
from sobrenum.store.retention import purge_expired
from sobrenum.web import api, auth, pages
from sobrenum.web.deps import csrf_protect
from sobrenum.web.errors import install_error_handlers
from sobrenum.web.footprints import Computations
from sobrenum.web.security import SignedCookieSession
from sobrenum.web.settings import Settings
from sobrenum.web.templating import make_templates

STATIC_DIR = Path(__file__).with_name("static")
log = logging.getLogger("sobrenum.web")

API_DESCRIPTION = """
API REST de sobrenum : collectivités, parc informatique, imports d'inventaire et empreinte
environnementale.

**Authentification** : jeton d'API dans l'en-tête `Authorization: Bearer sbn_…` (à créer
depuis votre compte, `POST /api/v1/moi/jetons`). Un navigateur connecté peut aussi appeler
l'API avec son cookie de session ; les requêtes qui modifient des données doivent alors
porter l'en-tête `X-CSRF-Token`.

**Cloisonnement** : chaque compte ne voit que les collectivités dont il est membre ; une
collectivité inaccessible répond 404.

**Erreurs** : toujours en JSON, `{"detail": "message en français"}`.
"""

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
)


class SecurityHeaders:
    """ASGI middleware, outermost (so that 500 pages get it too), on every HTTP response:

    - the security headers above;
    - ``Cache-Control: no-store`` except on static assets: pages, API answers, PDFs and
      exports may hold an organisation's data and must not stay in a shared cache;
    - over https: ``Strict-Transport-Security`` (``hsts_seconds``, 0 for none) and the
      ``Secure`` flag on every cookie (the language cookie too); ``secure_cookies`` forces or
      forbids the flag whatever the scheme.
    """

    def __init__(self, app: ASGIApp, *, hsts_seconds: int, secure_cookies: bool | None) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_seconds}".encode() if hsts_seconds > 0 else None
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        secure = https if self.secure_cookies is None else self.secure_cookies
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                if not static and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                if https and self.hsts is not None:
                    extra.append((b"strict-transport-security", self.hsts))
                if secure:
                    headers = [_secure_cookie(name, value) for name, value in headers]
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _secure_cookie(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    if name.lower() != b"set-cookie":
        return name, value
    flags = {part.strip().lower() for part in value.split(b";")[1:]}
    return name, value if b"secure" in flags else value + b"; Secure"


class SobrenumApp(FastAPI):
    """FastAPI with the proxy headers and the security headers outside every other layer,
    Starlette's server-error middleware included (its 500 page gets the headers too)."""

    hsts_seconds: int = 0
    secure_cookies: bool | None = None
    trusted_proxies: str = ""

    def build_middleware_stack(self) -> ASGIApp:
        inner = SecurityHeaders(
            super().build_middleware_stack(),
            hsts_seconds=self.hsts_seconds,
            secure_cookies=self.secure_cookies,
        )
        if not self.trusted_proxies:
            return inner
        # X-Forwarded-Proto and X-Forwarded-For are believed from these addresses only.
        proxied: Any = ProxyHeadersMiddleware(inner, trusted_hosts=self.trusted_proxies)  # type: ignore[arg-type]
        return cast(ASGIApp, proxied)


def discover_routers(package: object) -> list[APIRouter]:
    """The ``router`` of every module of a package, in module-name order."""
    found: list[APIRouter] = []
    path = getattr(package, "__path__", [])
    prefix = getattr(package, "__name__", "") + "."
    for module_info in sorted(pkgutil.iter_modules(path, prefix), key=lambda m: m.name):
        module = importlib.import_module(module_info.name)
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def create_app(settings: Settings | None = None) -> FastAPI:
    """The sobrenum web application, on the store of ``settings`` (opened and migrated)."""
    settings = settings or Settings.from_env()
    own_store = settings.store is None
    if settings.store is not None:
        store = settings.store
    else:
        url = settings.database_url
        if url is None and settings.data_folder is not None:
            url = f"sqlite:///{settings.folder / SQLITE_FILE_NAME}"
        store = open_store(url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await _purge(store)  # before the first request
        purging = asyncio.create_task(_purge_daily(store))
        yield
        purging.cancel()
        footprints.shutdown()
        if own_store:
            store.close()

    # Heavy computations off the request threads, bounded; light counts in the request's.
    footprints = Computations(
        settings.footprint_cache_size,
        workers=settings.compute_workers,
        wait_seconds=settings.compute_wait_seconds,
        queue=settings.compute_queue,
    )

    app = SobrenumApp(
        title="sobrenum",
        summary="Stratégie numérique responsable des collectivités",
        description=API_DESCRIPTION,
        version=_version(),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load their assets from a CDN: not offline.
        redoc_url=None,
        dependencies=[Depends(csrf_protect)],
        lifespan=lifespan,
        openapi_tags=[
            {"name": "compte", "description": "Votre compte et vos jetons d'API."},
            {"name": "comptes", "description": "Tous les comptes (administrateurs de l'instance)."},
            {"name": "collectivités", "description": "Collectivités dont vous êtes membre."},
            {"name": "membres", "description": "Comptes et rôles d'une collectivité."},
            {"name": "parc", "description": "Parc informatique (équipements)."},
            {
                "name": "imports",
                "description": "Import d'un inventaire : dépôt, rapport, application.",
            },
            {"name": "empreinte", "description": "Empreinte environnementale du parc."},
        ],
    )
    app.hsts_seconds = settings.hsts_seconds
    app.secure_cookies = settings.secure_cookies
    app.trusted_proxies = settings.trusted_proxies
    app.state.settings = settings
    app.state.store = store
    app.state.templates = make_templates()
    app.state.footprints = footprints
    app.state.counts = Computations(1024)  # fleet totals per fleet version and filters

    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(auth.router)
    for router in discover_routers(api):
        app.include_router(router)
    for router in discover_routers(pages):
        app.include_router(router)

    app.add_middleware(
        SignedCookieSession,
        secret=settings.resolved_secret(),
        max_age=int(settings.session_hours * 3600),
        secure=settings.secure_cookies,
    )
    return app


async def _purge(store: Store) -> None:
    """Personal data past its retention period (store.retention)."""
    try:
        await asyncio.to_thread(purge_expired, store, actor="sobrenum (conservation)")
    except Exception:  # a busy database or a broken connection: retried tomorrow
        log.exception("retention purge failed")


async def _purge_daily(store: Store) -> None:
    while True:
        await asyncio.sleep(24 * 3600)
        await _purge(store)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sobrenum")
    except PackageNotFoundError:
        return "0"


@dataclass(frozen=True)
class RouteInfo:
    """One HTTP route of the app: its path template, methods and endpoint name."""

    path: str
    methods: frozenset[str]
    name: str
    in_schema: bool


def http_routes(app: FastAPI) -> list[RouteInfo]:
    """Every HTTP route of ``app``, including those of included routers (the tenant-isolation
    test walks them all, so new routes are covered without being listed anywhere)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.16x: lazy includes

        candidates: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:
        candidates = list(app.routes)
    out = []
    for route in candidates:
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None)
        if not path or not methods:
            continue
        out.append(
            RouteInfo(
                path=path,
                methods=frozenset(methods),
                name=str(getattr(route, "name", "") or ""),
                in_schema=bool(getattr(route, "include_in_schema", True)),
            )
        )
    return out
