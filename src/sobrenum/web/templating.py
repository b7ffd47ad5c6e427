"""Jinja2 templates of the web app (package folder ``web/templates``), and ``render``.

Every template gets ``request``, ``user`` (the logged-in :class:`CurrentUser` or None),
``csrf_token()`` (put it in every form as ``<input type="hidden" name="csrf_token" …>``),
``proconnect_enabled``, the French number helpers of ``sobrenum.reporting.formatting`` and
the labels of ``sobrenum.web.labels`` (``category_label(code)``, ``date_fr(day)``…).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sobrenum.reporting import formatting
from sobrenum.web import i18n, labels
from sobrenum.web.deps import optional_user
from sobrenum.web.security import CSRF_FIELD, csrf_token

TEMPLATES_DIR = Path(__file__).with_name("templates")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    env.filters["nombre"] = formatting.number
    env.filters["pourcent"] = formatting.percent
    env.filters["tonnes"] = formatting.tonnes
    env.filters["significatif"] = formatting.significant
    i18n.install(env)  # _("…") in templates, French source, English catalogue
    labels.install(env)  # category_label(code), date_fr(day)… in the page's language
    return templates


#: Route lookups kept at most (menus and links repeat the same few on every page).
URL_CACHE_SIZE = 4096


def cached_url_for(request: Request) -> Callable[..., str]:
    """``url_for`` for templates, remembering each (route, parameters) it has built.

    Starlette finds a route by trying every route of the app in turn, which costs about half
    a millisecond a link with this app's routes; pages repeat the same links.
    """
    state = request.app.state
    cache: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] | None = getattr(
        state, "url_cache", None
    )
    if cache is None:
        cache = state.url_cache = {}
    base = str(request.base_url)

    def url_for(name: str, /, **params: Any) -> str:
        key = (base, name, tuple(sorted((k, str(v)) for k, v in params.items())))
        url = cache.get(key)
        if url is None:
            url = str(request.url_for(name, **params))
            if len(cache) < URL_CACHE_SIZE:
                cache[key] = url
        return url

    return url_for


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template of ``web/templates`` with the common context."""
    templates: Jinja2Templates = request.app.state.templates
    try:
        user = optional_user(request)
    except Exception:
        user = None
    language = i18n.request_language(request)
    i18n.set_language(language)
    full: dict[str, Any] = {
        "lang": language,
        "user": user,
        "csrf_token": lambda: csrf_token(request),
        "url_for": cached_url_for(request),
        "proconnect_enabled": request.app.state.settings.proconnect_enabled,
    }
    full.update(context or {})
    return templates.TemplateResponse(request, name, full, status_code=status_code, headers=headers)
