"""Jinja2 templates of the web app (package folder ``web/templates``), and ``render``.

Every template gets ``request``, ``user`` (the logged-in :class:`CurrentUser` or None),
``csrf_token()`` (put it in every form as ``<input type="hidden" name="csrf_token" …>``),
``proconnect_enabled`` and the French number helpers of ``sobrenum.reporting.formatting``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sobrenum.reporting import formatting
from sobrenum.web import i18n
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
    return templates


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
        "proconnect_enabled": request.app.state.settings.proconnect_enabled,
    }
    full.update(context or {})
    return templates.TemplateResponse(request, name, full, status_code=status_code, headers=headers)
