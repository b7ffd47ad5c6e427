"""« Mon compte »: who you are, your organisations, and changing your password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from sobrenum.store import organisations_among
from sobrenum.store.users import INSTANCE_ADMIN_LABEL, ROLE_LABELS
from sobrenum.web.account import PasswordChangeRefused, change_password
from sobrenum.web.deps import CurrentUser, CurrentUserDep, StoreDep
from sobrenum.web.notices import checked, notice
from sobrenum.web.pages.common import MessageQuery
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)

Secret = Annotated[str, Form(max_length=1024)]


def _page(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    organisations = organisations_among(store, user.memberships)
    return render(
        request,
        "pages/account.html",
        {
            "memberships": [(o, ROLE_LABELS[user.memberships[o.id]]) for o in organisations],
            "instance_admin_label": INSTANCE_ADMIN_LABEL,
            "message": message,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/compte", name="account_page")
def account_page(
    request: Request, user: CurrentUserDep, store: StoreDep, ok: MessageQuery = None
) -> Response:
    return _page(request, user, store, message=notice(ok))


@router.post("/compte/mot-de-passe", name="account_password")
def account_password(
    request: Request,
    user: CurrentUserDep,
    store: StoreDep,
    actuel: Secret = "",
    nouveau: Secret = "",
    confirmation: Secret = "",
) -> Response:
    try:
        if nouveau != confirmation:
            raise PasswordChangeRefused(
                "Les deux nouveaux mots de passe saisis ne sont pas identiques.", 422
            )
        change_password(request, store, user, current=actuel, new=nouveau)
    except PasswordChangeRefused as exc:
        response = _page(request, user, store, error=str(exc), status_code=exc.status_code)
        response.headers.update(exc.headers or {})
        return response
    target = request.url_for("account_page").include_query_params(ok=checked("mot-de-passe"))
    return RedirectResponse(f"{target.path}?{target.query}", status.HTTP_303_SEE_OTHER)
