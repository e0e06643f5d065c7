"""The v1 router: /api/v1/ with the OpenAPI document at openapi.json and docs at docs.

Every endpoint but ``POST /auth/token`` needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from closeloop.accounts.services import api_token_create
from closeloop.api import (
    action_records,
    actions,
    complaint_clock,
    complaint_handling,
    complaints,
    dashboard,
    errors,
    exports,
    handling_reports,
    investigations,
    masterdata,
    notifications,
    reports,
)
from closeloop.api.auth import BearerAuth, TokenRateThrottle
from closeloop.api.schemas import ErrorOut, TokenIn, TokenOut
from closeloop.core.errors import ApplicationError

api = NinjaAPI(
    title="Closeloop API",
    version="1",
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=BearerAuth(),
    description="Customer complaints on the 8D method. Errors are always "
    '`{"code", "message", "fields": {name: [messages]}}`.',
)
errors.install(api)


class NotAuthenticated(ApplicationError):
    code = "not_authenticated"
    http_status = 401


@api.post(
    "/auth/token",
    auth=None,
    throttle=[TokenRateThrottle()],
    response={200: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    tags=["auth"],
    summary="Exchange a username and password for a token",
)
def token_create(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    """Returns ``{"token": ...}``; send it as ``Authorization: Bearer <token>``. Throttled per address.
    Tokens can also be created and revoked on the profile page."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        raise NotAuthenticated(_("The username or password is wrong."))
    _token, raw = api_token_create(user=user, name=_("API login"))  # type: ignore[arg-type]
    return {"token": raw}


api.add_router("/", complaints.router)
api.add_router("/", complaint_handling.router)
api.add_router("/", complaint_clock.router)
api.add_router("/", masterdata.router)
# Before actions: its /actions/{id}/{step} would otherwise swallow /actions/{id}/comments and the rest.
api.add_router("/", action_records.router)
api.add_router("/", actions.router)
api.add_router("/", notifications.router)
api.add_router("/", investigations.router)
api.add_router("/", exports.router)
api.add_router("/", handling_reports.router)
api.add_router("/", reports.router)
api.add_router("/", dashboard.router)
