"""Every API error is JSON ``{"code", "message", "fields": {name: [messages]}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from closeloop.core.errors import ApplicationError

log = logging.getLogger(__name__)

# Parts of a pydantic error location that are containers, not the caller's field names.
_LOC_NOISE = {"body", "payload", "query", "path", "header", "__root__"}


def error_body(code: str, message: Any, fields: dict[str, list[Any]] | None = None, **extra: Any) -> dict:
    body = {
        "code": code,
        "message": str(message),
        "fields": {k: [str(m) for m in v] for k, v in (fields or {}).items()},
    }
    body.update(extra)
    return body


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc if str(p) not in _LOC_NOISE]
    if not parts:
        return "body"
    # attachments.0.content_base64 -> attachments; contact.email -> contact
    return parts[0]


# Fields the server owns: a caller who sends one is told so by name (ComplaintIn forbids extras).
SERVER_OWNED = {
    "number",
    "status",
    "created_by",
    "created_at",
    "priority_score",
    "priority_breakdown",
    "id",
    "invalid_reason",
    "duplicate_of",
    "triaged_at",
    "search_text",
    # 8D cases and steps: moved only by their services.
    "current_step",
    "reopen_count",
    "submitted_by",
    "submitted_at",
    "approved_by",
    "approved_at",
    "cost_verified_by",
    "summary_reviewed_by",
}


def _pydantic_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        if _field_name(err.get("loc", ())) in SERVER_OWNED:
            return _("This field is set by the server and cannot be sent.")
        return _("This field is not accepted.")
    if kind == "missing":
        return _("This field is required.")
    if kind in {
        "string_type",
        "int_type",
        "int_parsing",
        "bool_type",
        "bool_parsing",
        "list_type",
        "dict_type",
        "model_type",
        "datetime_type",
        "datetime_parsing",
        "datetime_from_date_parsing",
        "int_from_float",
        "string_too_long",
    }:
        if kind == "string_too_long":
            return _("The value is too long.")
        return _("The value has the wrong type or format.")
    return str(err.get("msg", _("The value is not valid.")))


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.http_status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", ())), []).append(_pydantic_message(err))
        return api.create_response(
            request, error_body("validation_error", _("Some fields are not valid."), fields), status=422
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            error_body("not_authenticated", _("Send a valid token: Authorization: Bearer <token>.")),
            status=401,
        )

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return api.create_response(
            request, error_body("throttled", _("Too many requests; try again later.")), status=429
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 403: "permission_denied", 404: "not_found"}.get(exc.status_code, "error")
        message = _("The request body is not valid JSON.") if exc.status_code == 400 else str(exc)
        return api.create_response(request, error_body(code, message), status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("Unhandled API error", exc_info=exc)
        return api.create_response(
            request, error_body("server_error", _("Something went wrong on our side.")), status=500
        )
