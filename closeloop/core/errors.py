"""The ApplicationError family: coded, translatable errors raised by services.

Views, the API and importers translate these into their own output (form errors, JSON bodies,
per-row report lines). Field errors are ``{field_name: [message, ...]}``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base class. ``code`` is stable for machines, ``message`` is for people (translated)."""

    code = "error"
    http_status = 400
    default_message: Any = _("The request could not be completed.")

    def __init__(
        self,
        message: Any = None,
        *,
        fields: dict[str, list[Any]] | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": str(self.message),
            "fields": {k: [str(m) for m in v] for k, v in self.fields.items()},
        }
        body.update(self.extra)
        return body


class ValidationFailed(ApplicationError):
    """Input is well-formed but breaks a rule. ``fields`` names each offending field."""

    code = "validation_error"
    http_status = 422
    default_message = _("Some fields are not valid.")


class NotFound(ApplicationError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(ApplicationError):
    code = "conflict"
    http_status = 409
    default_message = _("The record was changed by someone else.")


class TransitionNotAllowed(ApplicationError):
    code = "transition_not_allowed"
    http_status = 409
    default_message = _("This change of status is not allowed.")


class FieldErrors:
    """Collects field errors and raises one ValidationFailed at the end."""

    def __init__(self) -> None:
        self.fields: dict[str, list[Any]] = {}

    def add(self, field: str, message: Any) -> None:
        self.fields.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    @staticmethod
    def single(field: str, message: Any) -> ValidationFailed:
        """A ValidationFailed for one field, to ``raise``."""
        return ValidationFailed(fields={field: [message]})

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(fields=self.fields)
