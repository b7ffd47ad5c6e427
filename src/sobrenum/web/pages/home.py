"""Home page: the organisations of the logged-in user, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from sobrenum.store import organisations_among
from sobrenum.store.fleet import units_per_organisation
from sobrenum.store.users import INSTANCE_ADMIN_LABEL, ROLE_LABELS
from sobrenum.web import i18n
from sobrenum.web.auth import safe_next
from sobrenum.web.deps import CurrentUserDep, StoreDep
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

#: A year: the language choice outlives the session.
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


@router.get("/", name="home")
def home(request: Request, user: CurrentUserDep, store: StoreDep) -> Response:
    organisations = organisations_among(store, None if user.is_instance_admin else user.memberships)
    counts = units_per_organisation(store, [o.id for o in organisations])
    labels = {**ROLE_LABELS, "instance": INSTANCE_ADMIN_LABEL}
    rows = []
    for organisation in organisations:
        role = user.memberships.get(organisation.id) or (
            "instance" if user.is_instance_admin else ""
        )
        rows.append((organisation, role, int(counts.get(organisation.id) or 0)))
    return render(request, "pages/home.html", {"organisations": rows, "role_labels": labels})


@router.post("/langue", name="set_language")
def set_language(
    langue: Annotated[str, Form(max_length=5)] = i18n.DEFAULT_LANGUAGE,
    retour: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Switch the pages to another language (a cookie), then back to the page."""
    language = langue if langue in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    response = RedirectResponse(safe_next(retour), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        i18n.COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
    )
    return response
