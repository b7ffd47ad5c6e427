"""Home page: the organisations of the logged-in user.

A first, minimal version written with the app skeleton; the pages engineer owns this module
and may replace it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from sobrenum.store import Organisation
from sobrenum.web.deps import CurrentUserDep, StoreDep
from sobrenum.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", name="home")
def home(request: Request, user: CurrentUserDep, store: StoreDep) -> Response:
    with store.transaction() as session:
        query = select(Organisation).order_by(Organisation.name)
        if not user.is_instance_admin:
            query = query.where(Organisation.id.in_(list(user.memberships)))
        organisations = list(session.scalars(query))
    return render(
        request,
        "home.html",
        {"organisations": [(o, user.role_in(o.id)) for o in organisations]},
    )
