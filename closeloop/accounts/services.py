"""Writers for people: language preference and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import ApiToken, User, permissions_held_sql
from closeloop.core import clock
from closeloop.core.db import PreparedQuery
from closeloop.core.errors import NotFound, ValidationFailed


def user_set_language(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(fields={"language": [_("Unsupported language.")]})
    user.language = language
    user.save(update_fields=["language"])


COMMON_TIME_ZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Asia/Bangkok",
    "Asia/Kolkata",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
]


def user_set_time_zone(*, user: User, time_zone: str) -> None:
    """Set the user's own time zone (an IANA name); empty means the site default."""
    import zoneinfo

    time_zone = (time_zone or "").strip()
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise ValidationFailed(fields={"time_zone": [_("Unknown time zone.")]})
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its clear value, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("Give the token a name.")]})
    if len(name) > 100:
        raise ValidationFailed(fields={"name": [_("The name is limited to 100 characters.")]})
    raw = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:8], digest=ApiToken.hash(raw))
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    return token


def _token_by_digest(digest: str) -> QuerySet[ApiToken]:
    alias = router.db_for_read(ApiToken)
    quote = connections[alias].ops.quote_name
    held = permissions_held_sql(
        connections[alias].vendor, f"{quote(ApiToken._meta.db_table)}.{quote('user_id')}"
    )
    return (
        ApiToken.objects.active()
        .select_related("user")
        .filter(digest=digest)
        .annotate(held=RawSQL(held, [], output_field=models.JSONField()))  # noqa: S611 - no values in it
    )


# Every API request runs it: compiled once (core.db.PreparedQuery), it costs a fifth of the CPU. It
# reads the user's permissions too, which every request checks: one statement fewer than asking for
# them apart (User._perm_cache).
_TOKEN_BY_DIGEST = PreparedQuery(_token_by_digest, samples=("0" * 64,))


def api_token_authenticate(raw: str) -> User | None:
    """The active user owning the unrevoked token ``raw``, or None."""
    if not raw or len(raw) > 200:
        return None
    token = _TOKEN_BY_DIGEST.first(ApiToken.hash(raw))
    if token is None or not token.user.is_active:
        return None
    if not token.user.is_superuser:  # a superuser's checks never read the set
        token.user.__dict__["_perm_cache"] = set(token.held)  # type: ignore[attr-defined]
    now = clock.now()
    # Touch at most once a minute so a busy client does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
