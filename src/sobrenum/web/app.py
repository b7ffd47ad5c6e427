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

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sobrenum.store import open_store
from sobrenum.store.database import SQLITE_FILE_NAME
from sobrenum.web import api, auth, pages
from sobrenum.web.deps import csrf_protect
from sobrenum.web.errors import install_error_handlers
from sobrenum.web.footprints import FootprintCache
from sobrenum.web.security import SignedCookieSession
from sobrenum.web.settings import Settings
from sobrenum.web.templating import make_templates

STATIC_DIR = Path(__file__).with_name("static")

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
    """ASGI middleware adding conservative security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_wrapper)


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
        yield
        if own_store:
            store.close()

    app = FastAPI(
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
    app.state.settings = settings
    app.state.store = store
    app.state.templates = make_templates()
    app.state.footprints = FootprintCache(settings.footprint_cache_size)
    app.state.counts = FootprintCache(1024)  # fleet totals per fleet version and filters

    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(auth.router)
    for router in discover_routers(api):
        app.include_router(router)
    for router in discover_routers(pages):
        app.include_router(router)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SignedCookieSession,
        secret=settings.resolved_secret(),
        max_age=int(settings.session_hours * 3600),
        secure=settings.secure_cookies,
    )
    return app


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
